package dev.kurz.link;

/**
 * Told after a link's row changed and the change is committed, so caches can drop what they hold
 * for the code. Called on the writer's (virtual) thread; may wait briefly, must not fail.
 */
public interface LinkChangeListener {

    /** A new link: only "unknown code" answers can be stale. */
    void created(String code);

    /** An edited or deleted link: every cached copy is stale. */
    void changed(String code);
}

package dev.kurz.link;

/**
 * Told after a link's row changed (created, edited, deleted) and the change is committed, so
 * caches can drop what they hold for the code. Called on the writer's thread; must not block long.
 */
@FunctionalInterface
public interface LinkChangeListener {
    void changed(String code);
}

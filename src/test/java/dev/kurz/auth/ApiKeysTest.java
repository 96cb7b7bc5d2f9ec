package dev.kurz.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.config.Settings;
import dev.kurz.db.Database;
import dev.kurz.support.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A key that passed the check is trusted for one second: what that means for a revocation. */
class ApiKeysTest {

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock();
    private Database db;
    private ApiKeys here;
    private ApiKeys otherNode;

    @BeforeEach
    void open() {
        db = Database.open(Settings.from(Map.of("KURZ_DATA_DIR", dir.toString())));
        here = new ApiKeys(db, clock);
        otherNode = new ApiKeys(db, clock); // another node's copy: its own memory, the same database
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void aRevokedKeyFailsAtOnceWhereRevokedAndWithinASecondElsewhere() {
        ApiKeys.Issued issued = here.create("ci", Role.USER);
        String key = issued.secret();
        assertThat(here.authenticate(key)).contains(new Caller(issued.key().id(), Role.USER));
        assertThat(otherNode.authenticate(key)).isPresent();

        assertThat(here.revoke(issued.key().id())).isTrue();
        assertThat(here.authenticate(key)).as("the revoking node forgets at once").isEmpty();
        assertThat(otherNode.authenticate(key)).as("trusted from a check 0 ms ago").isPresent();
        clock.advance(ApiKeys.TRUSTED_FOR);
        assertThat(otherNode.authenticate(key)).as("checked again after a second").isEmpty();
    }

    @Test
    void aFailedCheckIsNeverRemembered() {
        ApiKeys.Issued issued = here.create("ci", Role.ADMIN);
        String key = issued.secret();
        String wrong = key.substring(0, key.length() - 1) + (key.endsWith("A") ? "B" : "A");
        assertThat(here.authenticate(wrong)).isEmpty();
        assertThat(here.authenticate(key)).isPresent();
        assertThat(here.authenticate(wrong)).as("the right key's entry does not vouch for a wrong one").isEmpty();
    }

    @Test
    void aTrustedKeyIsCheckedAgainAfterASecond() {
        ApiKeys.Issued issued = here.create("ci", Role.USER);
        String key = issued.secret();
        assertThat(otherNode.authenticate(key)).isPresent();
        here.revoke(issued.key().id());
        clock.advance(ApiKeys.TRUSTED_FOR.minus(Duration.ofMillis(1)));
        assertThat(otherNode.authenticate(key)).isPresent();
        clock.advance(Duration.ofMillis(1));
        assertThat(otherNode.authenticate(key)).isEmpty();
    }
}

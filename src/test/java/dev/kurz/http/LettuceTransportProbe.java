package dev.kurz.http;

import dev.kurz.redis.Redis;
import io.lettuce.core.resource.Transports;
import java.time.Duration;

/**
 * Run in a JVM of its own by {@link IoTransportTest}: connects to the Redis at {@code args[0]} as
 * a node on transport {@code args[1]} does, then prints the socket channel Lettuce uses.
 */
public final class LettuceTransportProbe {

    public static void main(String[] args) throws Exception {
        try (var redis = Redis.connect(args[0], Duration.ofSeconds(2), args[1])) {
            if (!redis.isAvailable()) {
                throw new IllegalStateException("no Redis at " + args[0]);
            }
            System.out.println("lettuce channel: " + Transports.socketChannelClass().getSimpleName());
        }
    }
}

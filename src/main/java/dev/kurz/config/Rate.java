package dev.kurz.config;

import java.time.Duration;

/**
 * A rate-limit budget as configured: {@code tokens} requests per {@code period}, refilled
 * smoothly (a client that used it all up gets one request back every {@code period / tokens}).
 * {@link #OFF} switches a budget off.
 *
 * @param tokens the burst size and the number of requests per period; 0 means off
 * @param period the time in which a used-up budget is whole again
 */
public record Rate(long tokens, Duration period) {

    public static final Rate OFF = new Rate(0, Duration.ofSeconds(1));

    public Rate {
        if (tokens < 0 || period.isZero() || period.isNegative()) {
            throw new IllegalArgumentException("a rate needs tokens >= 0 and a positive period, got "
                    + tokens + "/" + period);
        }
    }

    public boolean enabled() {
        return tokens > 0;
    }

    @Override
    public String toString() {
        return enabled() ? tokens + "/" + period : "off";
    }
}

package dev.kurz.http;

import io.vertx.core.transport.Transport;
import java.util.stream.Stream;

/**
 * Which of Netty's transports carries the HTTP server ({@code KURZ_IO_TRANSPORT}).
 *
 * <p>{@code auto} takes io_uring where the kernel allows it: an event loop hands the kernel its
 * reads and writes through a shared ring and collects the results in the same call, where epoll
 * needs a system call for each read, each write and each wait. On the redirect path that measured
 * 9 µs of kurz's CPU per redirect against 16 µs (docs/BENCHMARKS.md). Containers often forbid
 * io_uring (Docker's default seccomp profile, {@code kernel.io_uring_disabled}); then epoll, then the
 * JDK's NIO selector. A transport asked for by name that cannot load stops the start instead of
 * quietly running slower.
 */
public final class IoTransport {

    private IoTransport() {
    }

    /** The transport for a {@code KURZ_IO_TRANSPORT} value (auto, io_uring, epoll or nio). */
    public static Transport choose(String setting) {
        return switch (setting) {
            case "auto" -> Stream.of(Transport.IO_URING, Transport.EPOLL)
                    .filter(Transport::available).findFirst().orElse(Transport.NIO);
            case "io_uring" -> loadable(Transport.IO_URING);
            case "epoll" -> loadable(Transport.EPOLL);
            case "nio" -> Transport.NIO;
            default -> throw new IllegalArgumentException("KURZ_IO_TRANSPORT must be auto, io_uring, epoll or nio, not " + setting);
        };
    }

    private static Transport loadable(Transport transport) {
        if (!transport.available()) {
            throw new IllegalStateException("KURZ_IO_TRANSPORT=" + transport.name() + " cannot load here ("
                    + transport.unavailabilityCause() + "); use auto to fall back", transport.unavailabilityCause());
        }
        return transport;
    }
}

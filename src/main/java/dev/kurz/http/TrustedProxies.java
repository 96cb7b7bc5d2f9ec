package dev.kurz.http;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Which peers may tell us the client's address ({@code KURZ_TRUSTED_PROXIES}, comma-separated
 * CIDRs such as {@code 10.0.0.0/8, ::1/128}), and the client address that follows.
 *
 * <p>{@code X-Forwarded-For} is read only when the TCP peer is trusted, from the right: each proxy
 * appends the address it received from, so the rightmost entry that is not itself a trusted proxy
 * is the client. Entries further left were written by the client and could say anything.
 *
 * <p>Immutable and thread-safe.
 */
public final class TrustedProxies {

    private record Cidr(byte[] network, int bits) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = bits / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xFF << (8 - rest)) & 0xFF;
            return (address[full] & mask) == (network[full] & mask);
        }
    }

    public static final TrustedProxies NONE = new TrustedProxies(List.of());

    private final List<Cidr> ranges;

    private TrustedProxies(List<Cidr> ranges) {
        this.ranges = List.copyOf(ranges);
    }

    /** Parses {@code "10.0.0.0/8, 192.168.1.7, ::1/128"}; throws naming the bad entry. */
    public static TrustedProxies parse(String spec) {
        var ranges = new ArrayList<Cidr>();
        for (String part : spec.split(",")) {
            String entry = part.strip();
            if (entry.isEmpty()) {
                continue;
            }
            int slash = entry.indexOf('/');
            String host = slash < 0 ? entry : entry.substring(0, slash);
            byte[] network = literal(host);
            if (network == null) {
                throw new IllegalArgumentException("'" + entry + "' is not an IP address or CIDR range");
            }
            int bits = network.length * 8;
            if (slash >= 0) {
                try {
                    bits = Integer.parseInt(entry.substring(slash + 1));
                } catch (NumberFormatException e) {
                    bits = -1;
                }
                if (bits < 0 || bits > network.length * 8) {
                    throw new IllegalArgumentException("'" + entry + "' has an invalid prefix length");
                }
            }
            ranges.add(new Cidr(network, bits));
        }
        return new TrustedProxies(ranges);
    }

    /** Whether {@code address} (an IP literal) is one of the trusted proxies. */
    public boolean trusts(String address) {
        if (ranges.isEmpty() || address == null) {
            return false;
        }
        byte[] bytes = literal(address);
        return bytes != null && ranges.stream().anyMatch(r -> r.contains(bytes));
    }

    /** Whether the request came straight from a trusted proxy (so its headers may be believed). */
    public boolean isTrustedPeer(HttpServerRequest request) {
        SocketAddress peer = request.remoteAddress();
        return peer != null && trusts(peer.hostAddress());
    }

    /** The client's IP address: the peer, or what trusted proxies say in {@code X-Forwarded-For}. */
    public String clientAddress(HttpServerRequest request) {
        SocketAddress peer = request.remoteAddress();
        String address = peer == null ? "unknown" : peer.hostAddress();
        if (!trusts(address)) {
            return address;
        }
        List<String> forwarded = request.headers().getAll("X-Forwarded-For");
        for (int h = forwarded.size() - 1; h >= 0; h--) {
            String[] hops = forwarded.get(h).split(",");
            for (int i = hops.length - 1; i >= 0; i--) {
                String hop = hops[i].strip();
                if (literal(hop) == null) {
                    return address; // garbage: trust nothing left of it
                }
                if (!trusts(hop)) {
                    return hop;
                }
                address = hop;
            }
        }
        return address;
    }

    /** The bytes of an IPv4 or IPv6 literal, or null if it is not one (never a DNS lookup). */
    static byte[] literal(String s) {
        if (s == null || s.isEmpty() || s.length() > 45) {
            return null;
        }
        String t = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
        boolean v4 = t.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
        boolean v6 = t.indexOf(':') >= 0 && t.chars().allMatch(c -> c == ':' || c == '.' || Character.digit(c, 16) >= 0);
        if (!v4 && !v6) {
            return null; // InetAddress would resolve a host name: never do that here
        }
        if (v4 && t.split("\\.", -1).length != 4) {
            return null;
        }
        try {
            return InetAddress.ofLiteral(t).getAddress(); // never a lookup, even for 999.1.1.1
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}

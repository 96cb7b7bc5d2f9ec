package dev.kurz.click;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;

/**
 * A {@link ClickBatch}'s rows as the bytes of one {@code click_journal} row, and back.
 *
 * <p>Numbers are unsigned varints (ids, hours, days and counts are never negative); every string
 * (dimension values, orphan codes) is written once in a table and referred to by its index, so a
 * batch where 10,000 links were clicked by the same kind of visit takes about 8 bytes per row.
 * The first byte is the format's version: a node reading a journal row another version wrote
 * knows whether it can.
 *
 * <pre>
 * version=1 | strings: n, (length, UTF-8)* | hourly: n, (link, hour, clicks, bots)*
 *   | dims: n, (link, day, dim ordinal, value string, clicks)* | orphans: n, (day, code string, visits)*
 *   | humans: n, (link, clicks)*
 * </pre>
 */
final class BatchCodec {

    private static final int VERSION = 1;

    private BatchCodec() {}

    static byte[] encode(ClickBatch batch) {
        var strings = new HashMap<String, Integer>();
        var table = new ArrayList<String>();
        for (DimClicks d : batch.dims()) {
            strings.computeIfAbsent(d.value(), s -> { table.add(s); return table.size() - 1; });
        }
        for (OrphanVisits o : batch.orphans()) {
            strings.computeIfAbsent(o.code(), s -> { table.add(s); return table.size() - 1; });
        }
        var out = new Out(16 + 10 * batch.rows());
        out.write(VERSION);
        out.varint(table.size());
        for (String s : table) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            out.varint(bytes.length);
            out.write(bytes, 0, bytes.length);
        }
        out.varint(batch.hourly().size());
        for (HourlyClicks h : batch.hourly()) {
            out.varint(h.linkId());
            out.varint(h.hour());
            out.varint(h.clicks());
            out.varint(h.bots());
        }
        out.varint(batch.dims().size());
        for (DimClicks d : batch.dims()) {
            out.varint(d.linkId());
            out.varint(d.day());
            out.varint(d.dim().ordinal());
            out.varint(strings.get(d.value()));
            out.varint(d.clicks());
        }
        out.varint(batch.orphans().size());
        for (OrphanVisits o : batch.orphans()) {
            out.varint(o.day());
            out.varint(strings.get(o.code()));
            out.varint(o.visits());
        }
        out.varint(batch.humanPerLink().size());
        for (Map.Entry<Long, Long> e : batch.humanPerLink().entrySet()) {
            out.varint(e.getKey());
            out.varint(e.getValue());
        }
        return out.toByteArray();
    }

    /** The batch {@code bytes} hold, named {@code (node, seq)} as its journal row is. */
    static ClickBatch decode(String node, long seq, long createdAt, byte[] bytes) {
        var in = ByteBuffer.wrap(bytes);
        int version = in.get();
        if (version != VERSION) {
            throw new IllegalStateException("click journal row " + node + "/" + seq + " has format version " + version
                    + "; this kurz reads version " + VERSION + " (fold it with the version that wrote it)");
        }
        var table = new String[count(in)];
        for (int i = 0; i < table.length; i++) {
            int length = count(in);
            table[i] = new String(bytes, in.position(), length, StandardCharsets.UTF_8);
            in.position(in.position() + length);
        }
        Dimension[] dims = Dimension.values();
        int hourRows = count(in);
        var hourly = new ArrayList<HourlyClicks>(hourRows);
        for (int i = 0; i < hourRows; i++) {
            hourly.add(new HourlyClicks(varint(in), varint(in), varint(in), varint(in)));
        }
        int dimRows = count(in);
        var dimList = new ArrayList<DimClicks>(dimRows);
        for (int i = 0; i < dimRows; i++) {
            dimList.add(new DimClicks(varint(in), varint(in), dims[count(in)], table[count(in)], varint(in)));
        }
        int orphanRows = count(in);
        var orphans = new ArrayList<OrphanVisits>(orphanRows);
        for (int i = 0; i < orphanRows; i++) {
            orphans.add(new OrphanVisits(varint(in), table[count(in)], varint(in)));
        }
        int links = count(in);
        var humans = HashMap.<Long, Long>newHashMap(links);
        for (int i = 0; i < links; i++) {
            humans.put(varint(in), varint(in));
        }
        return new ClickBatch(node, seq, createdAt, hourly, dimList, orphans, humans);
    }

    private static int count(ByteBuffer in) {
        return Math.toIntExact(varint(in));
    }

    private static long varint(ByteBuffer in) {
        long value = 0;
        for (int shift = 0; ; shift += 7) {
            byte b = in.get();
            value |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return value;
            }
        }
    }

    /** A byte array output with unsigned LEB128 varints. */
    private static final class Out extends ByteArrayOutputStream {
        Out(int size) {
            super(size);
        }

        void varint(long value) {
            while ((value & ~0x7fL) != 0) {
                write((int) ((value & 0x7f) | 0x80));
                value >>>= 7;
            }
            write((int) value);
        }
    }
}

package io.piece4j.nn.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Any safetensors file, tensors under their own names: the generic reader and writer (golden files, expected
 * values, anything that is not a Llama checkpoint). The file is memory-mapped; close it to unmap.
 *
 * <p>Layout: u64 little-endian N, N bytes of UTF-8 JSON {@code {"name": {"dtype": "F32", "shape": [..],
 * "data_offsets": [begin, end]}, ..., "__metadata__": {string: string}}}, then the data buffer, offsets relative
 * to its start, elements little-endian and row-major.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** The largest header read; the reference implementation refuses larger ones too. */
    static final long MAX_HEADER_BYTES = 100_000_000;

    public enum Dtype {
        BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), I16(2), U16(2), F16(2), BF16(2), I32(4), U32(4), F32(4),
        I64(8), U64(8), F64(8);

        public final int bytes;

        Dtype(int bytes) { this.bytes = bytes; }
    }

    /** One tensor of the file: its name, dtype, row-major shape and where its bytes start in the data buffer. */
    public record Entry(String name, Dtype dtype, int[] shape, long numel, long dataOffset) {
        public Entry {
            shape = shape.clone();
        }

        @Override public int[] shape() { return shape.clone(); }

        @Override public String toString() { return name + " " + dtype + Arrays.toString(shape); }
    }

    private final Path file;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path file, Arena arena, MemorySegment data, Map<String, Entry> entries, Map<String, String> metadata) {
        this.file = file;
        this.arena = arena;
        this.data = data;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Maps the file and validates the whole header (dtypes, shapes, offsets against the file) before returning. */
    public static SafetensorsFile open(Path file) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment all = FileMapping.map(file, arena);
            ByteCursor in = new ByteCursor(all, file, 0);
            if (all.byteSize() < 8) {
                throw CheckpointFormatException.in(file, "file is " + all.byteSize() + " bytes: expected at least 8 (the u64 header length)");
            }
            long headerLen = in.rawU64("header length");
            if (headerLen < 0 || headerLen > all.byteSize() - 8) {
                throw CheckpointFormatException.in(file, "header length " + Long.toUnsignedString(headerLen)
                        + " runs past the end of the file (" + all.byteSize() + " bytes): expected at most " + (all.byteSize() - 8));
            }
            if (headerLen > MAX_HEADER_BYTES) {
                throw CheckpointFormatException.in(file, "header length " + headerLen + ": expected at most " + MAX_HEADER_BYTES);
            }
            byte[] header = all.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
            MemorySegment data = all.asSlice(8 + headerLen);
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, Entry> entries = parseHeader(JsonObject.parse(header, file, "header"), data.byteSize(), file, metadata);
            return new SafetensorsFile(file, arena, data, entries, Collections.unmodifiableMap(metadata));
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static Map<String, Entry> parseHeader(Object root, long dataSize, Path file, Map<String, String> metadata)
            throws CheckpointFormatException {
        JsonObject header = JsonObject.of(root, file, "header ");
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, Object> kv : header.fields().entrySet()) {
            String name = kv.getKey();
            if (name.equals("__metadata__")) {
                if (kv.getValue() == null) continue;
                JsonObject meta = JsonObject.of(kv.getValue(), file, "__metadata__.");
                for (Map.Entry<String, Object> m : meta.fields().entrySet()) {
                    if (!(m.getValue() instanceof String s)) throw meta.error(m.getKey(), "a string");
                    metadata.put(m.getKey(), s);
                }
                continue;
            }
            entries.put(name, parseEntry(name, JsonObject.of(kv.getValue(), file, "tensor '" + name + "' "), dataSize, file));
        }
        checkNoOverlap(entries.values(), file);
        return Collections.unmodifiableMap(entries);
    }

    private static Entry parseEntry(String name, JsonObject e, long dataSize, Path file) throws CheckpointFormatException {
        String dtypeName = e.optionalString("dtype");
        if (dtypeName == null) throw CheckpointFormatException.in(file, e.where("dtype") + " is missing: expected one of " + Arrays.toString(Dtype.values()));
        Dtype dtype;
        try {
            dtype = Dtype.valueOf(dtypeName);
        } catch (IllegalArgumentException x) {
            throw e.error("dtype", "one of " + Arrays.toString(Dtype.values()));
        }
        List<?> shapeJson = e.requiredList("shape");
        int[] shape = new int[shapeJson.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            Object d = shapeJson.get(i);
            if (!(d instanceof Long l) || l < 0 || l > Integer.MAX_VALUE) {
                throw CheckpointFormatException.in(file, e.where("shape") + "[" + i + "] = " + JsonObject.describe(d)
                        + ": expected an integer in [0, " + Integer.MAX_VALUE + "]");
            }
            shape[i] = (int) (long) l;
            numel = multiply(numel, shape[i], file, e.where("shape"));
        }
        List<?> offsets = e.requiredList("data_offsets");
        if (offsets.size() != 2) throw e.error("data_offsets", "[begin, end]");
        long begin = e.nonNegativeLong(offsets.get(0), "data_offsets[0]");
        long end = e.nonNegativeLong(offsets.get(1), "data_offsets[1]");
        if (begin > end || end > dataSize) {
            throw CheckpointFormatException.in(file, e.where("data_offsets") + " = [" + begin + ", " + end
                    + "]: expected begin <= end <= " + dataSize + " (the size of the data buffer)");
        }
        long bytes = multiply(numel, dtype.bytes, file, e.where("shape"));
        if (end - begin != bytes) {
            throw CheckpointFormatException.in(file, e.where("data_offsets") + " = [" + begin + ", " + end + "] spans "
                    + (end - begin) + " bytes: expected " + bytes + " for " + dtype + Arrays.toString(shape));
        }
        return new Entry(name, dtype, shape, numel, begin);
    }

    private static long multiply(long a, long b, Path file, String field) throws CheckpointFormatException {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException x) {
            throw CheckpointFormatException.in(file, field + ": size overflows 64 bits");
        }
    }

    private static void checkNoOverlap(Collection<Entry> entries, Path file) throws CheckpointFormatException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.removeIf(x -> x.numel() == 0);
        sorted.sort(Comparator.comparingLong(Entry::dataOffset));
        for (int i = 1; i < sorted.size(); i++) {
            Entry prev = sorted.get(i - 1), cur = sorted.get(i);
            long prevEnd = prev.dataOffset() + prev.numel() * prev.dtype().bytes;
            if (cur.dataOffset() < prevEnd) {
                throw CheckpointFormatException.in(file, "tensor '" + cur.name() + "' starts at " + cur.dataOffset()
                        + " inside tensor '" + prev.name() + "' (ending at " + prevEnd + "): expected tensors not to overlap");
            }
        }
    }

    public Path path() { return file; }

    /** All tensors in header order. */
    public List<Entry> tensors() { return List.copyOf(entries.values()); }

    public boolean contains(String name) { return entries.containsKey(name); }

    public Entry tensor(String name) throws CheckpointFormatException {
        Entry e = entries.get(name);
        if (e == null) throw CheckpointFormatException.in(file, "no tensor named '" + name + "'");
        return e;
    }

    /** The __metadata__ strings. */
    public Map<String, String> metadata() { return metadata; }

    /** The tensor's bytes. */
    MemorySegment bytes(Entry e) {
        return data.asSlice(e.dataOffset(), e.numel() * e.dtype().bytes);
    }

    /** All elements of an F32, F16, BF16 or F64 tensor as float32. */
    public float[] readFloats(String name) throws CheckpointFormatException {
        Entry e = tensor(name);
        float[] out = new float[arrayLength(e)];
        readFloats(name, 0, out.length, out, 0);
        return out;
    }

    /** Elements [first, first + count) of an F32, F16, BF16 or F64 tensor as float32, into dst[dstOffset ..]. */
    public void readFloats(String name, long first, int count, float[] dst, int dstOffset) throws CheckpointFormatException {
        Entry e = tensor(name);
        checkRange(e, first, count, dst.length, dstOffset);
        MemorySegment b = bytes(e);
        switch (e.dtype()) {
            case F32 -> ElementCodec.decode(ElementType.F32, b, first, count, dst, dstOffset);
            case F16 -> ElementCodec.decode(ElementType.F16, b, first, count, dst, dstOffset);
            case BF16 -> ElementCodec.decode(ElementType.BF16, b, first, count, dst, dstOffset);
            case F64 -> {
                for (int i = 0; i < count; i++) dst[dstOffset + i] = (float) b.get(LittleEndian.F64, (first + i) * 8);
            }
            default -> throw CheckpointFormatException.in(file, "tensor '" + name + "' dtype " + e.dtype()
                    + ": expected F32, F16, BF16 or F64 to read floats");
        }
    }

    /** All elements of an integer (or BOOL) tensor as longs; U64 values must be below 2^63. */
    public long[] readLongs(String name) throws CheckpointFormatException {
        Entry e = tensor(name);
        long[] out = new long[arrayLength(e)];
        MemorySegment b = bytes(e);
        for (int i = 0; i < out.length; i++) out[i] = integerAt(e, b, i);
        return out;
    }

    /** All elements of an integer (or BOOL) tensor as ints; every value must fit an int. */
    public int[] readInts(String name) throws CheckpointFormatException {
        Entry e = tensor(name);
        int[] out = new int[arrayLength(e)];
        MemorySegment b = bytes(e);
        for (int i = 0; i < out.length; i++) {
            long v = integerAt(e, b, i);
            if (v != (int) v) {
                throw CheckpointFormatException.in(file, "tensor '" + name + "' element " + i + " = " + v + ": expected a value that fits an int");
            }
            out[i] = (int) v;
        }
        return out;
    }

    private long integerAt(Entry e, MemorySegment b, long i) throws CheckpointFormatException {
        return switch (e.dtype()) {
            case BOOL, U8 -> b.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
            case I8 -> b.get(ValueLayout.JAVA_BYTE, i);
            case I16 -> b.get(LittleEndian.I16, i * 2);
            case U16 -> b.get(LittleEndian.I16, i * 2) & 0xFFFF;
            case I32 -> b.get(LittleEndian.I32, i * 4);
            case U32 -> b.get(LittleEndian.I32, i * 4) & 0xFFFFFFFFL;
            case I64 -> b.get(LittleEndian.I64, i * 8);
            case U64 -> {
                long v = b.get(LittleEndian.I64, i * 8);
                if (v < 0) throw CheckpointFormatException.in(file, "tensor '" + e.name() + "' element " + i + " = "
                        + Long.toUnsignedString(v) + ": expected a value below 2^63");
                yield v;
            }
            default -> throw CheckpointFormatException.in(file, "tensor '" + e.name() + "' dtype " + e.dtype()
                    + ": expected an integer dtype (I8..I64, U8..U64, BOOL) to read integers");
        };
    }

    private int arrayLength(Entry e) throws CheckpointFormatException {
        if (e.numel() > Integer.MAX_VALUE - 8) {
            throw CheckpointFormatException.in(file, "tensor '" + e.name() + "' has " + e.numel()
                    + " elements: expected fewer than 2^31 to read into one array (read a range instead)");
        }
        return (int) e.numel();
    }

    private static void checkRange(Entry e, long first, int count, int dstLength, int dstOffset) {
        if (first < 0 || count < 0 || first > e.numel() - count || dstOffset < 0 || dstOffset > dstLength - count) {
            throw new IndexOutOfBoundsException("elements [" + first + ", " + first + " + " + count + ") of '" + e.name()
                    + "' (" + e.numel() + " elements) into float[" + dstLength + "] at " + dstOffset);
        }
    }

    @Override public void close() {
        arena.close();
    }

    // ---------------------------------------------------------------------------------------------------------
    // writing

    /** A tensor to write: dtype, shape and values that are converted as they are written. */
    public static final class Data {
        @FunctionalInterface
        interface Encoder {
            void writeTo(LittleEndianOutput out) throws IOException;
        }

        final Dtype dtype;
        final int[] shape;
        final long numel;
        final Encoder encoder;

        private Data(Dtype dtype, int[] shape, int length, Encoder encoder) {
            long n = 1;
            for (int d : shape) {
                if (d < 0) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a negative size");
                n *= d;
            }
            if (n != length) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has " + n + " elements but the data has " + length);
            this.dtype = dtype;
            this.shape = shape.clone();
            this.numel = n;
            this.encoder = encoder;
        }

        public static Data f32(int[] shape, float[] values) {
            return new Data(Dtype.F32, shape, values.length, out -> { for (float v : values) out.f32(v); });
        }

        /** Stored as binary16, rounded to nearest even. */
        public static Data f16(int[] shape, float[] values) {
            return new Data(Dtype.F16, shape, values.length, out -> { for (float v : values) out.i16(ElementCodec.floatToF16(v)); });
        }

        /** Stored as bfloat16, rounded to nearest even. */
        public static Data bf16(int[] shape, float[] values) {
            return new Data(Dtype.BF16, shape, values.length, out -> { for (float v : values) out.i16(ElementCodec.floatToBf16(v)); });
        }

        public static Data i64(int[] shape, long[] values) {
            return new Data(Dtype.I64, shape, values.length, out -> { for (long v : values) out.i64(v); });
        }

        public static Data i32(int[] shape, int[] values) {
            return new Data(Dtype.I32, shape, values.length, out -> { for (int v : values) out.i32(v); });
        }

        /** float32 values stored as F32, F16 or BF16. */
        public static Data floats(Dtype dtype, int[] shape, float[] values) {
            return switch (dtype) {
                case F32 -> f32(shape, values);
                case F16 -> f16(shape, values);
                case BF16 -> bf16(shape, values);
                default -> throw new IllegalArgumentException("dtype " + dtype + ": expected F32, F16 or BF16 for float data");
            };
        }
    }

    /** Writes the tensors (in map order) atomically. */
    public static void write(Path file, Map<String, Data> tensors) throws IOException {
        write(file, tensors, Map.of());
    }

    /** Writes the tensors (in map order) and __metadata__ strings atomically. */
    public static void write(Path file, Map<String, Data> tensors, Map<String, String> metadata) throws IOException {
        byte[] header = header(tensors, metadata);
        AtomicFile.write(file, ch -> {
            LittleEndianOutput out = new LittleEndianOutput(ch);
            out.i64(header.length);
            out.bytes(header);
            for (Data d : tensors.values()) d.encoder.writeTo(out);
            out.flush();
        });
    }

    // the JSON header, padded with spaces to a multiple of 8 bytes as the reference writer does
    private static byte[] header(Map<String, Data> tensors, Map<String, String> metadata) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator g = new JsonFactory().createGenerator(bytes)) {
            g.writeStartObject();
            if (!metadata.isEmpty()) {
                g.writeObjectFieldStart("__metadata__");
                for (Map.Entry<String, String> m : metadata.entrySet()) g.writeStringField(m.getKey(), m.getValue());
                g.writeEndObject();
            }
            long offset = 0;
            for (Map.Entry<String, Data> t : tensors.entrySet()) {
                if (t.getKey().equals("__metadata__")) throw new IllegalArgumentException("a tensor cannot be named __metadata__");
                Data d = t.getValue();
                long size = d.numel * d.dtype.bytes;
                g.writeObjectFieldStart(t.getKey());
                g.writeStringField("dtype", d.dtype.name());
                g.writeArrayFieldStart("shape");
                for (int s : d.shape) g.writeNumber(s);
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(offset);
                g.writeNumber(offset + size);
                g.writeEndArray();
                g.writeEndObject();
                offset += size;
            }
            g.writeEndObject();
        }
        while (bytes.size() % 8 != 0) bytes.write(' ');
        return bytes.toByteArray();
    }
}

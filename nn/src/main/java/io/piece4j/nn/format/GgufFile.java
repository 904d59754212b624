package io.piece4j.nn.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The structure of a GGUF file (versions 2 and 3, little-endian), parsed and checked against the file size:
 *
 * <pre>
 * "GGUF" | u32 version | u64 tensor_count | u64 kv_count
 * kv_count x (string key | u32 value_type | value)           string = u64 length + UTF-8 bytes
 * tensor_count x (string name | u32 n_dims | n_dims x u64 dim (innermost first) | u32 ggml_type | u64 offset)
 * zero padding to general.alignment (default 32) | tensor data, each offset relative to here and aligned
 * </pre>
 *
 * Metadata values become Java values: every integer type a Long (u64 values of 2^63 and more as their raw bits),
 * FLOAT32 a Float, FLOAT64 a Double, BOOL a Boolean, STRING a String; arrays become long[] (any integer type),
 * float[], double[], boolean[], String[] or Object[] (arrays of arrays).
 */
final class GgufFile {
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    static final int DEFAULT_ALIGNMENT = 32;
    static final int MAX_DIMS = 4;
    private static final int MAX_ARRAY_NESTING = 8;

    // GGUF metadata value types
    static final int UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
            STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12;

    // ggml tensor types read here
    static final int GGML_F32 = 0, GGML_F16 = 1, GGML_Q4_0 = 2, GGML_Q8_0 = 8, GGML_BF16 = 30;

    private static final String[] GGML_TYPE_NAMES = {
            "F32", "F16", "Q4_0", "Q4_1", "Q4_2 (removed)", "Q4_3 (removed)", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K",
            "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S",
            "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M", "BF16"};

    /**
     * One tensor's entry: name, dims as stored (innermost first), ggml type, offset from the start of the data
     * section, and its size in bytes when the type is one this package reads (-1 otherwise).
     */
    record TensorInfo(String name, long[] dims, int type, long offset, long byteSize) {
        /** Row-major shape: the dims reversed. */
        int[] shape() {
            int[] s = new int[dims.length];
            for (int i = 0; i < dims.length; i++) s[i] = (int) dims[dims.length - 1 - i];
            return s;
        }

        long numel() {
            long n = 1;
            for (long d : dims) n *= d;
            return n;
        }
    }

    final Path file;
    final int version;
    final Map<String, Object> metadata;
    /** The same pairs in file order, each value in its encoded form. */
    final List<GgufKeyValue> keyValues;
    final List<TensorInfo> tensors;
    final int alignment;
    final long dataStart;
    final MemorySegment segment;

    private GgufFile(Path file, int version, Map<String, Object> metadata, List<GgufKeyValue> keyValues, List<TensorInfo> tensors,
                     int alignment, long dataStart, MemorySegment segment) {
        this.file = file;
        this.version = version;
        this.metadata = metadata;
        this.keyValues = keyValues;
        this.tensors = tensors;
        this.alignment = alignment;
        this.dataStart = dataStart;
        this.segment = segment;
    }

    /** The element type of a ggml type id this package reads, or null. */
    static ElementType elementType(int ggmlType) {
        return switch (ggmlType) {
            case GGML_F32 -> ElementType.F32;
            case GGML_F16 -> ElementType.F16;
            case GGML_BF16 -> ElementType.BF16;
            case GGML_Q8_0 -> ElementType.Q8_0;
            case GGML_Q4_0 -> ElementType.Q4_0;
            default -> null;
        };
    }

    static String typeName(int ggmlType) {
        return ggmlType >= 0 && ggmlType < GGML_TYPE_NAMES.length ? GGML_TYPE_NAMES[ggmlType] : "unknown";
    }

    /** The bytes of one tensor (its byteSize must be known). */
    MemorySegment bytes(TensorInfo t) {
        return segment.asSlice(dataStart + t.offset(), t.byteSize());
    }

    static GgufFile parse(MemorySegment segment, Path file) throws CheckpointFormatException {
        ByteCursor in = new ByteCursor(segment, file, 0);
        if (segment.byteSize() < 24) {
            throw CheckpointFormatException.in(file, "file is " + segment.byteSize() + " bytes: expected at least 24 (the GGUF header)");
        }
        int magic = in.i32("magic");
        if (magic != MAGIC) {
            throw CheckpointFormatException.in(file, String.format("magic 0x%08x: expected 0x%08x (\"GGUF\")", magic, MAGIC));
        }
        long version = in.u32("version");
        if (version != 2 && version != 3) {
            throw CheckpointFormatException.in(file, "version " + version + ": expected 2 or 3");
        }
        long tensorCount = in.u64("tensor_count");
        long kvCount = in.u64("metadata_kv_count");
        // the smallest key-value pair is 13 bytes (empty key, type, one byte); the smallest tensor info 32
        if (kvCount > in.remaining() / 13) {
            throw CheckpointFormatException.in(file, "metadata_kv_count " + kvCount + ": more pairs than the "
                    + in.remaining() + " bytes left can hold");
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        List<GgufKeyValue> keyValues = new ArrayList<>();
        for (long i = 0; i < kvCount; i++) {
            String key = string(in, "metadata key #" + i);
            if (key.isEmpty()) throw CheckpointFormatException.in(file, "metadata key #" + i + " is empty: expected a non-empty key");
            String field = "metadata '" + key + "'";
            int type = (int) in.u32(field + " type");
            long valueStart = in.position();
            Object value = value(in, type, field, 0);
            if (metadata.put(key, value) != null) {
                throw CheckpointFormatException.in(file, field + " appears twice: expected unique keys");
            }
            keyValues.add(new GgufKeyValue(key, type, segment.asSlice(valueStart, in.position() - valueStart).toArray(ValueLayout.JAVA_BYTE)));
        }
        int alignment = alignment(metadata, file);

        if (tensorCount > in.remaining() / 32) {
            throw CheckpointFormatException.in(file, "tensor_count " + tensorCount + ": more tensor infos than the "
                    + in.remaining() + " bytes left can hold");
        }
        List<TensorInfo> infos = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = string(in, "tensor info #" + i + " name");
            String field = "tensor '" + name + "'";
            if (!names.add(name)) throw CheckpointFormatException.in(file, field + " appears twice: expected unique tensor names");
            long nDims = in.u32(field + " n_dims");
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw CheckpointFormatException.in(file, field + " n_dims = " + nDims + ": expected 1 to " + MAX_DIMS);
            }
            long[] dims = new long[(int) nDims];
            long numel = 1;
            for (int d = 0; d < nDims; d++) {
                long size = in.rawU64(field + " dims[" + d + "]");
                if (size < 1 || size > Integer.MAX_VALUE) {
                    throw CheckpointFormatException.in(file, field + " dims[" + d + "] = " + Long.toUnsignedString(size)
                            + ": expected 1 to " + Integer.MAX_VALUE);
                }
                dims[d] = size;
                numel = multiply(numel, size, file, field);
            }
            int type = in.i32(field + " type");
            long offset = in.rawU64(field + " offset");
            if (offset < 0 || offset % alignment != 0) {
                throw CheckpointFormatException.in(file, field + " offset " + Long.toUnsignedString(offset)
                        + ": expected a multiple of the alignment " + alignment);
            }
            infos.add(new TensorInfo(name, dims, type, offset, byteSize(type, dims, numel, file, field)));
        }
        long dataStart = align(in.position(), alignment);
        if (tensorCount > 0 && dataStart > segment.byteSize()) {
            throw CheckpointFormatException.in(file, "tensor data would start at " + dataStart
                    + " but the file ends at " + segment.byteSize() + " (truncated)");
        }
        checkTensorBounds(infos, segment.byteSize() - Math.min(dataStart, segment.byteSize()), file);
        return new GgufFile(file, (int) version, Collections.unmodifiableMap(metadata), List.copyOf(keyValues), List.copyOf(infos),
                alignment, dataStart, segment);
    }

    private static int alignment(Map<String, Object> metadata, Path file) throws CheckpointFormatException {
        Object a = metadata.get("general.alignment");
        if (a == null) return DEFAULT_ALIGNMENT;
        if (!(a instanceof Long l) || l < 1 || l > (1 << 30) || Long.bitCount(l) != 1) {
            throw CheckpointFormatException.in(file, "metadata 'general.alignment' = " + describe(a)
                    + ": expected a power of two up to 2^30");
        }
        return (int) (long) l;
    }

    private static long byteSize(int type, long[] dims, long numel, Path file, String field) throws CheckpointFormatException {
        ElementType t = elementType(type);
        if (t == null) return -1;
        if (dims[0] % t.blockSize != 0) {
            throw CheckpointFormatException.in(file, field + " type " + t + " dims[0] = " + dims[0]
                    + ": expected a multiple of the block size " + t.blockSize);
        }
        return multiply(numel / t.blockSize, t.bytesPerBlock, file, field);
    }

    // every tensor inside the data section, none overlapping another
    private static void checkTensorBounds(List<TensorInfo> infos, long dataSize, Path file) throws CheckpointFormatException {
        for (TensorInfo t : infos) {
            long end = t.byteSize() < 0 ? t.offset() : t.offset() + t.byteSize();
            if (t.offset() > dataSize || end > dataSize || end < 0) {
                throw CheckpointFormatException.in(file, "tensor '" + t.name() + "' data [" + t.offset() + ", " + end
                        + ") runs past the end of the data section (" + dataSize + " bytes; truncated?)");
            }
        }
        List<TensorInfo> sized = new ArrayList<>(infos);
        sized.removeIf(t -> t.byteSize() < 0);
        sized.sort(Comparator.comparingLong(TensorInfo::offset));
        for (int i = 1; i < sized.size(); i++) {
            TensorInfo prev = sized.get(i - 1), cur = sized.get(i);
            if (cur.offset() < prev.offset() + prev.byteSize()) {
                throw CheckpointFormatException.in(file, "tensor '" + cur.name() + "' data at " + cur.offset()
                        + " overlaps tensor '" + prev.name() + "' [" + prev.offset() + ", " + (prev.offset() + prev.byteSize())
                        + "): expected separate tensors");
            }
        }
    }

    static long align(long position, int alignment) {
        return (position + alignment - 1) / alignment * alignment;
    }

    private static String string(ByteCursor in, String field) throws CheckpointFormatException {
        long length = in.u64(field + " length");
        return in.utf8(length, field);
    }

    private static Object value(ByteCursor in, int type, String field, int depth) throws CheckpointFormatException {
        return switch (type) {
            case UINT8 -> (long) in.u8(field);
            case INT8 -> (long) (byte) in.u8(field);
            case UINT16 -> (long) (in.u8(field) | in.u8(field) << 8);
            case INT16 -> (long) (short) (in.u8(field) | in.u8(field) << 8);
            case UINT32 -> in.u32(field);
            case INT32 -> (long) in.i32(field);
            case UINT64, INT64 -> in.rawU64(field);
            case FLOAT32 -> in.f32(field);
            case FLOAT64 -> in.f64(field);
            case BOOL -> bool(in, field);
            case STRING -> string(in, field);
            case ARRAY -> array(in, field, depth);
            default -> throw CheckpointFormatException.in(in.file(), field + " value type " + type + ": expected 0 to 12");
        };
    }

    private static boolean bool(ByteCursor in, String field) throws CheckpointFormatException {
        int b = in.u8(field);
        if (b > 1) throw CheckpointFormatException.in(in.file(), field + " bool byte " + b + ": expected 0 or 1");
        return b == 1;
    }

    private static Object array(ByteCursor in, String field, int depth) throws CheckpointFormatException {
        if (depth >= MAX_ARRAY_NESTING) {
            throw CheckpointFormatException.in(in.file(), field + ": arrays nested deeper than " + MAX_ARRAY_NESTING);
        }
        int type = (int) in.u32(field + " array type");
        long count = in.u64(field + " array length");
        int minBytes = switch (type) {
            case UINT8, INT8, BOOL -> 1;
            case UINT16, INT16 -> 2;
            case UINT32, INT32, FLOAT32 -> 4;
            case UINT64, INT64, FLOAT64, STRING -> 8;
            case ARRAY -> 12;
            default -> throw CheckpointFormatException.in(in.file(), field + " array element type " + type + ": expected 0 to 12");
        };
        if (count > in.remaining() / minBytes) {
            throw CheckpointFormatException.in(in.file(), field + " array length " + count + ": more elements than the "
                    + in.remaining() + " bytes left can hold");
        }
        if (count > Integer.MAX_VALUE - 8) throw CheckpointFormatException.in(in.file(), field + " array length " + count + ": expected under 2^31");
        int n = (int) count;
        String element = field + " element";
        switch (type) {
            case FLOAT32 -> {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) a[i] = in.f32(element);
                return a;
            }
            case FLOAT64 -> {
                double[] a = new double[n];
                for (int i = 0; i < n; i++) a[i] = in.f64(element);
                return a;
            }
            case BOOL -> {
                boolean[] a = new boolean[n];
                for (int i = 0; i < n; i++) a[i] = bool(in, element);
                return a;
            }
            case STRING -> {
                String[] a = new String[n];
                for (int i = 0; i < n; i++) a[i] = string(in, element + " " + i);
                return a;
            }
            case ARRAY -> {
                Object[] a = new Object[n];
                for (int i = 0; i < n; i++) a[i] = array(in, element + " " + i, depth + 1);
                return a;
            }
            default -> {
                long[] a = new long[n];
                for (int i = 0; i < n; i++) a[i] = (Long) value(in, type, element, depth + 1);
                return a;
            }
        }
    }

    private static long multiply(long a, long b, Path file, String field) throws CheckpointFormatException {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw CheckpointFormatException.in(file, field + ": size overflows 64 bits");
        }
    }

    static String describe(Object value) {
        if (value instanceof String s) return "\"" + (s.length() > 60 ? s.substring(0, 60) + "..." : s) + "\"";
        if (value instanceof long[] a) return "an integer array of " + a.length;
        if (value instanceof float[] a) return "a float array of " + a.length;
        if (value instanceof double[] a) return "a double array of " + a.length;
        if (value instanceof boolean[] a) return "a bool array of " + a.length;
        if (value instanceof Object[] a) return "an array of " + a.length + " " + (a.getClass() == String[].class ? "strings" : "arrays");
        return String.valueOf(value);
    }

    @Override public String toString() {
        return "GGUF v" + version + " " + file.getFileName() + ": " + metadata.size() + " keys, " + tensors.size()
                + " tensors, alignment " + alignment;
    }
}

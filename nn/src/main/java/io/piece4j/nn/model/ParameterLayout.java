package io.piece4j.nn.model;

import io.piece4j.nn.LlamaConfig;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where every parameter of a Llama model sits in the one flat parameter buffer. Gradients, importance
 * scores and optimizer state use the same layout, so a "global top-k" is one selection over one array and
 * a mask is a sorted list of flat indices.
 *
 * <p>Order and names: tok_embeddings; per layer i: layers.i.attn_norm, layers.i.attn.wq, .wk, .wv, .wo,
 * layers.i.mlp_norm, layers.i.mlp.w_gate, .w_up, .w_down; norm; output (only when untied). Matrices are
 * (out, in) as torch.nn.Linear stores them.
 */
public final class ParameterLayout {
    /** One parameter: its name, shape, offset in the flat buffer, layer (-1 outside the blocks) and module kind. */
    public record Entry(String name, int[] shape, long offset, long numel, int layer, String module) {
        public int rows() { return shape.length == 1 ? 1 : shape[0]; }
        public int cols() { return shape[shape.length - 1]; }
    }

    /** A flat index resolved to its parameter and (row, column). */
    public record Location(Entry entry, int row, int col) {
        @Override public String toString() { return entry.name() + "[" + row + "][" + col + "]"; }
    }

    private final List<Entry> entries;
    private final Map<String, Entry> byName;
    private final long[] offsets;
    private final long total;

    public ParameterLayout(LlamaConfig c) {
        List<Entry> list = new ArrayList<>();
        long off = 0;
        for (LlamaConfig.ParamSpec spec : c.parameterSpecs()) {
            String name = spec.name();
            int layer = -1;
            String module = name;
            if (name.startsWith("layers.")) {
                int dot = name.indexOf('.', 7);
                layer = Integer.parseInt(name.substring(7, dot));
                module = name.substring(dot + 1);
            }
            list.add(new Entry(name, spec.shape(), off, spec.numel(), layer, module));
            off += spec.numel();
        }
        this.entries = Collections.unmodifiableList(list);
        this.byName = new LinkedHashMap<>();
        for (Entry e : list) byName.put(e.name(), e);
        this.offsets = list.stream().mapToLong(Entry::offset).toArray();
        this.total = off;
    }

    public List<Entry> entries() { return entries; }

    /** Total number of parameters P. */
    public long size() { return total; }

    public Entry get(String name) {
        Entry e = byName.get(name);
        if (e == null) throw new IllegalArgumentException("no parameter named '" + name + "'");
        return e;
    }

    public boolean contains(String name) { return byName.containsKey(name); }

    /** The parameter holding flat index i, and the (row, column) inside it. O(log #parameters). */
    public Location locate(long i) {
        if (i < 0 || i >= total) throw new IndexOutOfBoundsException("flat index " + i + " outside [0, " + total + ")");
        int lo = 0, hi = offsets.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (offsets[mid] <= i) lo = mid; else hi = mid - 1;
        }
        Entry e = entries.get(lo);
        long local = i - e.offset();
        return new Location(e, (int) (local / e.cols()), (int) (local % e.cols()));
    }
}

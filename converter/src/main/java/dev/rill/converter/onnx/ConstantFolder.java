package dev.rill.converter.onnx;

import dev.rill.converter.onnx.proto.AttributeProto;
import dev.rill.converter.onnx.proto.NodeProto;
import dev.rill.converter.onnx.proto.TensorProto;
import dev.rill.converter.onnx.proto.TensorProto.DataType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Evaluates constant subexpressions of an ONNX graph: values computed only from initializers, Constant nodes
 * and (for the conformance runner) fed tensors. Exporters build recurrent weights this way, e.g. PyTorch
 * reorders gate blocks with Slice + Concat and adds the direction axis with Unsqueeze, sometimes inside an
 * {@code If} branch.
 *
 * <p>Supported operators: Constant, Identity, Cast, Shape, Size, ConstantOfShape, Reshape, Flatten, Squeeze,
 * Unsqueeze, Transpose, Slice, Concat, Gather, Split, Add, Sub, Mul, Div, Neg. Every result is capped at the
 * import's element limit.
 */
final class ConstantFolder {

  /** Operators this class evaluates. */
  static final Set<String> FOLDABLE = Set.of("Constant", "Identity", "Cast", "Shape", "Size", "ConstantOfShape",
      "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Slice", "Concat", "Gather", "Split", "Add", "Sub",
      "Mul", "Div", "Neg");

  private static final int MAX_DEPTH = 2000;

  private final Path modelDir;
  private final long maxElements;
  private final Map<String, ConstTensor> feeds;
  private int depth;

  /**
   * @param modelDir folder of the model file (external data), or null
   * @param maxElements cap on any tensor
   * @param feeds values of graph inputs to treat as constants (the conformance runner's weights)
   */
  ConstantFolder(Path modelDir, long maxElements, Map<String, ConstTensor> feeds) {
    this.modelDir = modelDir;
    this.maxElements = maxElements;
    this.feeds = Map.copyOf(feeds);
  }

  long maxElements() {
    return maxElements;
  }

  /** The constant value of {@code name}, or null if it depends on a runtime graph input or an unfoldable node. */
  ConstTensor tryFold(String name, GraphScope scope) throws OnnxImportException {
    if (name.isEmpty()) {
      return null;
    }
    if (feeds.containsKey(name)) {
      return feeds.get(name);
    }
    GraphScope owner = scope.owner(name);
    if (owner == null) {
      throw new OnnxImportException("value '" + name + "' is used in the " + scope.label
          + " but no initializer, graph input or node produces it");
    }
    ConstTensor cached = owner.folded.get(name);
    if (cached != null) {
      return cached;
    }
    TensorProto init = owner.initializers.get(name);
    ConstTensor result;
    if (init != null) {
      result = OnnxTensors.decode(init, modelDir, maxElements);
    } else if (owner.producers.containsKey(name)) {
      NodeProto node = owner.producers.get(name);
      if (!FOLDABLE.contains(node.getOpType()) || !node.getDomain().isEmpty() && !node.getDomain().equals("ai.onnx")) {
        return null;
      }
      if (++depth > MAX_DEPTH) {
        throw new OnnxImportException("constant expression ending in '" + name + "' is deeper than " + MAX_DEPTH
            + " nodes");
      }
      try {
        List<ConstTensor> inputs = new ArrayList<>();
        for (String in : node.getInputList()) {
          ConstTensor v = in.isEmpty() ? null : tryFold(in, owner);
          if (v == null && !in.isEmpty() && !(node.getOpType().equals("Shape"))) {
            return null;
          }
          inputs.add(v);
        }
        if (node.getOpType().equals("Shape") && (inputs.isEmpty() || inputs.get(0) == null)) {
          return null;
        }
        ConstTensor[] outs = evaluate(node, inputs);
        for (int i = 0; i < outs.length && i < node.getOutputCount(); i++) {
          if (!node.getOutput(i).isEmpty()) {
            owner.folded.put(node.getOutput(i), outs[i]);
          }
        }
        result = owner.folded.get(name);
        if (result == null) {
          throw new OnnxImportException(NodeAttributes.describe(node) + ": produced no value for output '" + name
              + "'");
        }
      } finally {
        depth--;
      }
    } else {
      return null; // a runtime graph input
    }
    owner.folded.put(name, result);
    return result;
  }

  /** Like {@link #tryFold} but fails, naming {@code role}, when the value is not constant. */
  ConstTensor fold(String name, GraphScope scope, String role) throws OnnxImportException {
    ConstTensor v = tryFold(name, scope);
    if (v == null) {
      throw new OnnxImportException(role + " ('" + name + "') is not a constant: it depends on "
          + nonConstantCause(name, scope) + "; Rill needs it at import time");
    }
    return v;
  }

  /** Names the graph input or node that keeps {@code name} from being constant. */
  String nonConstantCause(String name, GraphScope scope) throws OnnxImportException {
    for (int guard = 0; guard < MAX_DEPTH; guard++) {
      if (scope.isRuntimeInput(name)) {
        return "graph input '" + name + "'";
      }
      NodeProto node = scope.producer(name);
      if (node == null) {
        return "'" + name + "'";
      }
      if (!FOLDABLE.contains(node.getOpType())) {
        return NodeAttributes.describe(node) + " (not a constant operator)";
      }
      String next = null;
      for (String in : node.getInputList()) {
        if (!in.isEmpty() && tryFold(in, scope) == null) {
          next = in;
          break;
        }
      }
      if (next == null) {
        return NodeAttributes.describe(node);
      }
      name = next;
    }
    return "'" + name + "'";
  }

  // ---- operators ---------------------------------------------------------------------------------------

  private ConstTensor[] evaluate(NodeProto node, List<ConstTensor> in) throws OnnxImportException {
    NodeAttributes attrs = new NodeAttributes(node);
    String what = NodeAttributes.describe(node);
    try {
      return switch (node.getOpType()) {
        case "Constant" -> one(constant(node, attrs));
        case "Identity" -> one(input(in, 0, what));
        case "Cast" -> one(cast(input(in, 0, what), (int) attrs.getInt("to", 0), what));
        case "Shape" -> one(shapeOf(input(in, 0, what), attrs));
        case "Size" -> one(ConstTensor.ofLongs(DataType.INT64_VALUE, new long[0],
            new long[] {input(in, 0, what).size()}));
        case "ConstantOfShape" -> one(constantOfShape(input(in, 0, what), attrs, what));
        case "Reshape" -> one(reshape(input(in, 0, what), input(in, 1, what).toLongArray(),
            attrs.getInt("allowzero", 0) != 0, what));
        case "Flatten" -> one(flatten(input(in, 0, what), attrs.getInt("axis", 1), what));
        case "Squeeze" -> one(squeeze(input(in, 0, what), axesOf(attrs, in, 1), what));
        case "Unsqueeze" -> one(unsqueeze(input(in, 0, what), axesOf(attrs, in, 1), what));
        case "Transpose" -> one(transpose(input(in, 0, what), attrs.getInts("perm"), what));
        case "Slice" -> one(slice(node, attrs, in, what));
        case "Concat" -> one(concat(in, attrs.getInt("axis", Long.MIN_VALUE), what));
        case "Gather" -> one(gather(input(in, 0, what), input(in, 1, what), attrs.getInt("axis", 0), what));
        case "Split" -> split(node, attrs, in, what);
        case "Add", "Sub", "Mul", "Div" -> one(arithmetic(node.getOpType(), input(in, 0, what), input(in, 1, what),
            what));
        case "Neg" -> one(arithmetic("Mul", input(in, 0, what),
            ConstTensor.ofLongs(DataType.INT64_VALUE, new long[0], new long[] {-1}), what));
        default -> throw new OnnxImportException(what + ": cannot fold operator " + node.getOpType());
      };
    } catch (IllegalArgumentException | ArithmeticException | IndexOutOfBoundsException e) {
      throw new OnnxImportException(what + ": " + e.getMessage(), e);
    }
  }

  private static ConstTensor[] one(ConstTensor t) {
    return new ConstTensor[] {t};
  }

  private static ConstTensor input(List<ConstTensor> in, int i, String what) throws OnnxImportException {
    if (i >= in.size() || in.get(i) == null) {
      throw new OnnxImportException(what + ": input " + i + " is missing");
    }
    return in.get(i);
  }

  private ConstTensor constant(NodeProto node, NodeAttributes attrs) throws OnnxImportException {
    String what = NodeAttributes.describe(node);
    if (attrs.has("value")) {
      AttributeProto a = attrs.get("value");
      if (!a.hasT()) {
        throw new OnnxImportException(what + ": attribute 'value' holds no tensor");
      }
      return OnnxTensors.decode(a.getT(), modelDir, maxElements);
    }
    if (attrs.has("value_float")) {
      return ConstTensor.ofFloats(new long[0], new float[] {attrs.getFloat("value_float", 0f)});
    }
    if (attrs.has("value_floats")) {
      float[] v = attrs.getFloats("value_floats");
      return ConstTensor.ofFloats(new long[] {v.length}, v);
    }
    if (attrs.has("value_int")) {
      return ConstTensor.ofLongs(DataType.INT64_VALUE, new long[0], new long[] {attrs.getInt("value_int", 0)});
    }
    if (attrs.has("value_ints")) {
      long[] v = attrs.getInts("value_ints");
      return ConstTensor.ofLongs(DataType.INT64_VALUE, new long[] {v.length}, v);
    }
    throw new OnnxImportException(what + ": no supported value attribute (value, value_float(s), value_int(s))");
  }

  private static ConstTensor cast(ConstTensor x, int to, String what) throws OnnxImportException {
    int n = x.size();
    switch (to) {
      case DataType.FLOAT_VALUE, DataType.FLOAT16_VALUE, DataType.BFLOAT16_VALUE -> {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          float f = (float) x.doubleAt(i);
          v[i] = to == DataType.FLOAT16_VALUE ? Float.float16ToFloat(Float.floatToFloat16(f))
              : to == DataType.BFLOAT16_VALUE ? roundToBf16(f) : f;
        }
        return ConstTensor.ofFloats(to, x.shape(), v);
      }
      case DataType.DOUBLE_VALUE -> {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
          v[i] = x.doubleAt(i);
        }
        return ConstTensor.ofDoubles(x.shape(), v);
      }
      case DataType.INT8_VALUE, DataType.UINT8_VALUE, DataType.INT16_VALUE, DataType.UINT16_VALUE,
          DataType.INT32_VALUE, DataType.UINT32_VALUE, DataType.INT64_VALUE, DataType.UINT64_VALUE,
          DataType.BOOL_VALUE -> {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
          long l = x.longAt(i);
          v[i] = switch (to) {
            case DataType.INT8_VALUE -> (byte) l;
            case DataType.UINT8_VALUE -> l & 0xff;
            case DataType.INT16_VALUE -> (short) l;
            case DataType.UINT16_VALUE -> l & 0xffff;
            case DataType.INT32_VALUE -> (int) l;
            case DataType.UINT32_VALUE -> l & 0xffffffffL;
            case DataType.BOOL_VALUE -> x.doubleAt(i) != 0 ? 1 : 0;
            default -> l;
          };
        }
        return ConstTensor.ofLongs(to, x.shape(), v);
      }
      default -> throw new OnnxImportException(what + ": cannot cast to " + OnnxTensors.typeName(to));
    }
  }

  private static float roundToBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return f;
    }
    bits += 0x7fff + ((bits >>> 16) & 1); // round to nearest even
    return Float.intBitsToFloat(bits & 0xffff0000);
  }

  private static ConstTensor shapeOf(ConstTensor x, NodeAttributes attrs) throws OnnxImportException {
    int r = x.rank();
    int start = (int) clampAxis(attrs.getInt("start", 0), r);
    int end = (int) clampAxis(attrs.getInt("end", r), r);
    long[] dims = Arrays.copyOfRange(x.shape(), start, Math.max(start, end));
    return ConstTensor.ofLongs(DataType.INT64_VALUE, new long[] {dims.length}, dims);
  }

  private static long clampAxis(long a, int rank) {
    if (a < 0) {
      a += rank;
    }
    return Math.max(0, Math.min(rank, a));
  }

  private ConstTensor constantOfShape(ConstTensor shapeT, NodeAttributes attrs, String what)
      throws OnnxImportException {
    long[] shape = shapeT.toLongArray();
    int n = OnnxTensors.elementCount(what, shape, maxElements);
    ConstTensor value = attrs.has("value") ? OnnxTensors.decode(attrs.get("value").getT(), modelDir, maxElements)
        : ConstTensor.ofFloats(new long[] {1}, new float[] {0f});
    if (value.size() != 1) {
      throw new OnnxImportException(what + ": attribute 'value' must hold one element");
    }
    return value.reshape(new long[0]).gather(shape, new int[n]);
  }

  private static ConstTensor reshape(ConstTensor x, long[] target, boolean allowZero, String what)
      throws OnnxImportException {
    long[] shape = target.clone();
    int infer = -1;
    long known = 1;
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] == 0 && !allowZero) {
        if (i >= x.rank()) {
          throw new OnnxImportException(what + ": shape " + Arrays.toString(target) + " copies dimension " + i
              + " of a rank-" + x.rank() + " tensor");
        }
        shape[i] = x.dim(i);
      }
      if (shape[i] == -1) {
        if (infer >= 0) {
          throw new OnnxImportException(what + ": shape " + Arrays.toString(target) + " has two -1 entries");
        }
        infer = i;
      } else if (shape[i] < 0) {
        throw new OnnxImportException(what + ": invalid shape " + Arrays.toString(target));
      } else {
        known = Math.multiplyExact(known, shape[i]);
      }
    }
    if (infer >= 0) {
      if (known == 0 || x.size() % known != 0) {
        throw new OnnxImportException(what + ": cannot reshape " + x + " to " + Arrays.toString(target));
      }
      shape[infer] = x.size() / known;
    }
    if (Arrays.stream(shape).reduce(1, Math::multiplyExact) != x.size()) {
      throw new OnnxImportException(what + ": cannot reshape " + x + " to " + Arrays.toString(target));
    }
    return x.reshape(shape);
  }

  private static ConstTensor flatten(ConstTensor x, long axis, String what) throws OnnxImportException {
    long a = axis < 0 ? axis + x.rank() : axis;
    if (a < 0 || a > x.rank()) {
      throw new OnnxImportException(what + ": axis " + axis + " out of range for rank " + x.rank());
    }
    long outer = 1;
    for (int i = 0; i < a; i++) {
      outer *= x.dim(i);
    }
    return x.reshape(new long[] {outer, outer == 0 ? 0 : x.size() / outer});
  }

  private static long[] axesOf(NodeAttributes attrs, List<ConstTensor> in, int inputIndex)
      throws OnnxImportException {
    if (attrs.has("axes")) {
      return attrs.getInts("axes");
    }
    return in.size() > inputIndex && in.get(inputIndex) != null ? in.get(inputIndex).toLongArray() : null;
  }

  private static ConstTensor squeeze(ConstTensor x, long[] axes, String what) throws OnnxImportException {
    long[] shape = x.shape();
    boolean[] drop = new boolean[shape.length];
    if (axes == null) {
      for (int i = 0; i < shape.length; i++) {
        drop[i] = shape[i] == 1;
      }
    } else {
      for (long a : axes) {
        int i = (int) normalizeAxis(a, shape.length, what);
        if (shape[i] != 1) {
          throw new OnnxImportException(what + ": cannot squeeze axis " + a + " of " + x + " (size " + shape[i]
              + ")");
        }
        drop[i] = true;
      }
    }
    long[] out = new long[shape.length];
    int k = 0;
    for (int i = 0; i < shape.length; i++) {
      if (!drop[i]) {
        out[k++] = shape[i];
      }
    }
    return x.reshape(Arrays.copyOf(out, k));
  }

  private static ConstTensor unsqueeze(ConstTensor x, long[] axes, String what) throws OnnxImportException {
    if (axes == null) {
      throw new OnnxImportException(what + ": no axes");
    }
    int rank = x.rank() + axes.length;
    boolean[] ones = new boolean[rank];
    for (long a : axes) {
      int i = (int) normalizeAxis(a, rank, what);
      if (ones[i]) {
        throw new OnnxImportException(what + ": axis " + a + " repeated");
      }
      ones[i] = true;
    }
    long[] shape = new long[rank];
    long[] src = x.shape();
    int k = 0;
    for (int i = 0; i < rank; i++) {
      shape[i] = ones[i] ? 1 : src[k++];
    }
    return x.reshape(shape);
  }

  private static ConstTensor transpose(ConstTensor x, long[] perm, String what) throws OnnxImportException {
    int r = x.rank();
    int[] p = new int[r];
    if (perm == null) {
      for (int i = 0; i < r; i++) {
        p[i] = r - 1 - i;
      }
    } else {
      if (perm.length != r) {
        throw new OnnxImportException(what + ": perm " + Arrays.toString(perm) + " does not match rank " + r);
      }
      boolean[] seen = new boolean[r];
      for (int i = 0; i < r; i++) {
        int a = (int) normalizeAxis(perm[i], r, what);
        if (seen[a]) {
          throw new OnnxImportException(what + ": perm " + Arrays.toString(perm) + " is not a permutation");
        }
        seen[a] = true;
        p[i] = a;
      }
    }
    long[] in = x.shape();
    long[] out = new long[r];
    for (int i = 0; i < r; i++) {
      out[i] = in[p[i]];
    }
    long[] inStrides = ConstTensor.strides(in);
    long[] srcStride = new long[r];
    for (int i = 0; i < r; i++) {
      srcStride[i] = inStrides[p[i]];
    }
    return x.gather(out, strided(out, srcStride, 0));
  }

  /** Source index of every element of {@code outShape} given per-axis source strides and a base offset. */
  private static int[] strided(long[] outShape, long[] srcStride, long base) {
    int n = 1;
    for (long d : outShape) {
      n *= (int) d;
    }
    int[] idx = new int[n];
    int r = outShape.length;
    long[] counter = new long[r];
    long pos = base;
    for (int i = 0; i < n; i++) {
      idx[i] = (int) pos;
      for (int a = r - 1; a >= 0; a--) {
        counter[a]++;
        pos += srcStride[a];
        if (counter[a] < outShape[a]) {
          break;
        }
        pos -= srcStride[a] * counter[a];
        counter[a] = 0;
      }
    }
    return idx;
  }

  private static ConstTensor slice(NodeProto node, NodeAttributes attrs, List<ConstTensor> in, String what)
      throws OnnxImportException {
    ConstTensor x = input(in, 0, what);
    long[] starts;
    long[] ends;
    long[] axes;
    long[] steps = null;
    if (attrs.has("starts")) { // opset 1-9
      starts = attrs.getInts("starts");
      ends = attrs.getInts("ends");
      axes = attrs.getInts("axes");
    } else {
      starts = input(in, 1, what).toLongArray();
      ends = input(in, 2, what).toLongArray();
      axes = in.size() > 3 && in.get(3) != null ? in.get(3).toLongArray() : null;
      steps = in.size() > 4 && in.get(4) != null ? in.get(4).toLongArray() : null;
    }
    int r = x.rank();
    if (ends == null || starts.length != ends.length || (axes != null && axes.length != starts.length)
        || (steps != null && steps.length != starts.length)) {
      throw new OnnxImportException(what + ": starts, ends, axes and steps differ in length");
    }
    long[] shape = x.shape();
    long[] first = new long[r];
    long[] step = new long[r];
    long[] count = shape.clone();
    Arrays.fill(step, 1);
    for (int k = 0; k < starts.length; k++) {
      int a = (int) normalizeAxis(axes == null ? k : axes[k], r, what);
      long s = steps == null ? 1 : steps[k];
      if (s == 0) {
        throw new OnnxImportException(what + ": step 0");
      }
      long dim = shape[a];
      long b = starts[k] < 0 ? starts[k] + dim : starts[k];
      long e = ends[k] < 0 ? ends[k] + dim : ends[k];
      long c;
      if (s > 0) {
        b = Math.max(0, Math.min(dim, b));
        e = Math.max(0, Math.min(dim, e));
        c = e > b ? (e - b + s - 1) / s : 0;
      } else {
        b = Math.max(0, Math.min(dim - 1, b));
        e = Math.max(-1, Math.min(dim - 1, e));
        c = b > e ? (b - e + (-s) - 1) / (-s) : 0;
      }
      first[a] = b;
      step[a] = s;
      count[a] = c;
    }
    long[] strides = ConstTensor.strides(shape);
    long base = 0;
    long[] srcStride = new long[r];
    for (int a = 0; a < r; a++) {
      base += first[a] * strides[a];
      srcStride[a] = step[a] * strides[a];
    }
    if (Arrays.stream(count).anyMatch(c -> c == 0)) {
      return x.gather(count, new int[0]);
    }
    return x.gather(count, strided(count, srcStride, base));
  }

  private static ConstTensor concat(List<ConstTensor> in, long axis, String what) throws OnnxImportException {
    if (axis == Long.MIN_VALUE) {
      throw new OnnxImportException(what + ": attribute 'axis' is required");
    }
    if (in.isEmpty()) {
      throw new OnnxImportException(what + ": no inputs");
    }
    ConstTensor first = input(in, 0, what);
    int r = first.rank();
    int a = (int) normalizeAxis(axis, r, what);
    long[] out = first.shape();
    out[a] = 0;
    for (int i = 0; i < in.size(); i++) {
      ConstTensor t = input(in, i, what);
      if (t.rank() != r || t.dataType() != first.dataType()) {
        throw new OnnxImportException(what + ": input " + i + " " + t + " does not match " + first);
      }
      for (int d = 0; d < r; d++) {
        if (d != a && t.dim(d) != first.dim(d)) {
          throw new OnnxImportException(what + ": input " + i + " " + t + " does not match " + first);
        }
      }
      out[a] += t.dim(a);
    }
    // Concatenate by gathering from a virtual stack of the inputs' elements.
    ConstTensor all = stack(in, what);
    long outer = 1;
    for (int d = 0; d < a; d++) {
      outer *= out[d];
    }
    long inner = 1;
    for (int d = a + 1; d < r; d++) {
      inner *= out[d];
    }
    int total = Math.toIntExact(Arrays.stream(out).reduce(1, Math::multiplyExact));
    int[] idx = new int[total];
    int k = 0;
    for (long o = 0; o < outer; o++) {
      int offset = 0;
      for (ConstTensor t : in) {
        long block = t.dim(a) * inner;
        for (long j = 0; j < block; j++) {
          idx[k++] = (int) (offset + o * block + j);
        }
        offset += t.size();
      }
    }
    return all.gather(out, idx);
  }

  /** All elements of {@code parts}, one after another, as a flat tensor of the first part's type. */
  private static ConstTensor stack(List<ConstTensor> parts, String what) {
    int n = parts.stream().mapToInt(ConstTensor::size).sum();
    ConstTensor first = parts.get(0);
    if (first.isFloat()) {
      float[] v = new float[n];
      int k = 0;
      for (ConstTensor t : parts) {
        for (int i = 0; i < t.size(); i++) {
          v[k++] = (float) t.doubleAt(i);
        }
      }
      return ConstTensor.ofFloats(first.dataType(), new long[] {n}, v);
    }
    if (first.isDouble()) {
      double[] v = new double[n];
      int k = 0;
      for (ConstTensor t : parts) {
        for (int i = 0; i < t.size(); i++) {
          v[k++] = t.doubleAt(i);
        }
      }
      return ConstTensor.ofDoubles(new long[] {n}, v);
    }
    long[] v = new long[n];
    int k = 0;
    for (ConstTensor t : parts) {
      for (int i = 0; i < t.size(); i++) {
        v[k++] = t.longAt(i);
      }
    }
    return ConstTensor.ofLongs(first.dataType(), new long[] {n}, v);
  }

  private static ConstTensor gather(ConstTensor data, ConstTensor indices, long axis, String what)
      throws OnnxImportException {
    int r = data.rank();
    int a = (int) normalizeAxis(axis, r, what);
    if (!indices.isInteger()) {
      throw new OnnxImportException(what + ": indices must be integers");
    }
    long dim = data.dim(a);
    long[] shape = data.shape();
    long outer = 1;
    for (int d = 0; d < a; d++) {
      outer *= shape[d];
    }
    long inner = 1;
    for (int d = a + 1; d < r; d++) {
      inner *= shape[d];
    }
    long[] ix = indices.toLongArray();
    long[] out = new long[r - 1 + indices.rank()];
    System.arraycopy(shape, 0, out, 0, a);
    System.arraycopy(indices.shape(), 0, out, a, indices.rank());
    System.arraycopy(shape, a + 1, out, a + indices.rank(), r - a - 1);
    int[] idx = new int[Math.toIntExact(outer * ix.length * inner)];
    int k = 0;
    for (long o = 0; o < outer; o++) {
      for (long i : ix) {
        long j = i < 0 ? i + dim : i;
        if (j < 0 || j >= dim) {
          throw new OnnxImportException(what + ": index " + i + " out of range for axis of size " + dim);
        }
        for (long in = 0; in < inner; in++) {
          idx[k++] = (int) ((o * dim + j) * inner + in);
        }
      }
    }
    return data.gather(out, idx);
  }

  private static ConstTensor[] split(NodeProto node, NodeAttributes attrs, List<ConstTensor> in, String what)
      throws OnnxImportException {
    ConstTensor x = input(in, 0, what);
    int a = (int) normalizeAxis(attrs.getInt("axis", 0), x.rank(), what);
    long dim = x.dim(a);
    long[] sizes = attrs.getInts("split");
    if (sizes == null && in.size() > 1 && in.get(1) != null) {
      sizes = in.get(1).toLongArray();
    }
    int parts = node.getOutputCount();
    if (sizes == null) {
      long n = attrs.getInt("num_outputs", parts);
      if (n <= 0) {
        throw new OnnxImportException(what + ": no outputs");
      }
      long chunk = (dim + n - 1) / n; // the last part is smaller when dim is not divisible (opset 18)
      sizes = new long[(int) n];
      for (int i = 0; i < n; i++) {
        sizes[i] = Math.max(0, Math.min(chunk, dim - i * chunk));
      }
    }
    if (Arrays.stream(sizes).sum() != dim || Arrays.stream(sizes).anyMatch(s -> s < 0)) {
      throw new OnnxImportException(what + ": split sizes " + Arrays.toString(sizes) + " do not sum to " + dim);
    }
    ConstTensor[] out = new ConstTensor[sizes.length];
    long begin = 0;
    for (int i = 0; i < sizes.length; i++) {
      long[] starts = new long[x.rank()];
      long[] ends = x.shape();
      starts[a] = begin;
      ends[a] = begin + sizes[i];
      out[i] = sliceRange(x, starts, ends);
      begin += sizes[i];
    }
    return out;
  }

  private static ConstTensor sliceRange(ConstTensor x, long[] starts, long[] ends) {
    long[] count = new long[x.rank()];
    long[] strides = ConstTensor.strides(x.shape());
    long base = 0;
    for (int a = 0; a < count.length; a++) {
      count[a] = ends[a] - starts[a];
      base += starts[a] * strides[a];
    }
    if (Arrays.stream(count).anyMatch(c -> c == 0)) {
      return x.gather(count, new int[0]);
    }
    return x.gather(count, strided(count, strides, base));
  }

  private ConstTensor arithmetic(String op, ConstTensor a, ConstTensor b, String what)
      throws OnnxImportException {
    int r = Math.max(a.rank(), b.rank());
    long[] out = new long[r];
    for (int i = 0; i < r; i++) {
      long da = i - (r - a.rank()) >= 0 ? a.dim(i - (r - a.rank())) : 1;
      long db = i - (r - b.rank()) >= 0 ? b.dim(i - (r - b.rank())) : 1;
      if (da != db && da != 1 && db != 1) {
        throw new OnnxImportException(what + ": shapes " + a + " and " + b + " do not broadcast");
      }
      out[i] = da == 1 ? db : da;
    }
    int n = OnnxTensors.elementCount(what, out, maxElements);
    int[] ia = broadcastIndex(out, a.shape());
    int[] ib = broadcastIndex(out, b.shape());
    boolean floating = !a.isInteger() || !b.isInteger();
    if (!floating) {
      long[] v = new long[n];
      for (int i = 0; i < n; i++) {
        long x = a.longAt(ia[i]);
        long y = b.longAt(ib[i]);
        v[i] = switch (op) {
          case "Add" -> x + y;
          case "Sub" -> x - y;
          case "Mul" -> x * y;
          default -> {
            if (y == 0) {
              throw new OnnxImportException(what + ": integer division by zero");
            }
            yield x / y;
          }
        };
      }
      return ConstTensor.ofLongs(a.dataType(), out, v);
    }
    ConstTensor f = a.isInteger() ? b : a;
    if (f.isDouble()) {
      double[] v = new double[n];
      for (int i = 0; i < n; i++) {
        v[i] = apply(op, a.doubleAt(ia[i]), b.doubleAt(ib[i]));
      }
      return ConstTensor.ofDoubles(out, v);
    }
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      // float32 arithmetic, as ONNX Runtime computes it
      v[i] = (float) apply(op, (float) a.doubleAt(ia[i]), (float) b.doubleAt(ib[i]));
    }
    return ConstTensor.ofFloats(f.dataType(), out, v);
  }

  private static double apply(String op, double x, double y) {
    return switch (op) {
      case "Add" -> x + y;
      case "Sub" -> x - y;
      case "Mul" -> x * y;
      default -> x / y;
    };
  }

  private static double apply(String op, float x, float y) {
    return switch (op) {
      case "Add" -> x + y;
      case "Sub" -> x - y;
      case "Mul" -> x * y;
      default -> x / y;
    };
  }

  /** For each element of the broadcast output, the index of the element of {@code in} it reads. */
  private static int[] broadcastIndex(long[] out, long[] in) {
    int r = out.length;
    long[] srcStride = new long[r];
    long[] inStrides = ConstTensor.strides(in);
    int off = r - in.length;
    for (int i = 0; i < r; i++) {
      srcStride[i] = i < off || in[i - off] == 1 ? 0 : inStrides[i - off];
    }
    if (Arrays.stream(out).anyMatch(d -> d == 0)) {
      return new int[0];
    }
    return strided(out, srcStride, 0);
  }

  static long normalizeAxis(long axis, int rank, String what) throws OnnxImportException {
    long a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) {
      throw new OnnxImportException(what + ": axis " + axis + " out of range for rank " + rank);
    }
    return a;
  }
}

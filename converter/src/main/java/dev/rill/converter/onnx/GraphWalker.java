package dev.rill.converter.onnx;

import dev.rill.converter.onnx.StreamShape.Tag;
import dev.rill.converter.onnx.proto.NodeProto;
import dev.rill.converter.onnx.proto.ValueInfoProto;
import dev.rill.format.proto.OutputActivation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Follows the data path of a whole ONNX graph from its input to its output and turns it into a stack of Rill
 * layers: an optional Embedding (Gather on an initializer), recurrent nodes (LSTM, GRU, RNN) read through the
 * Transpose/Squeeze/Unsqueeze/Reshape/Identity nodes that exporters insert, and Dense layers (MatMul [+ Add]
 * or Gemm) with an output activation (Softmax, LogSoftmax, Sigmoid, Tanh). Constant subexpressions are left
 * to the {@link ConstantFolder}; shape computations (Shape, ConstantOfShape, ...) that only size the initial
 * state are recognised and dropped. Any other operator on the data path is collected and reported.
 */
final class GraphWalker {

  /** One layer of the result, in order. */
  sealed interface LayerPlan permits Embedding, Recurrent, Dense {}

  record Embedding(int vocab, int dim, float[] weight) implements LayerPlan {}

  record Recurrent(RecurrentNode node) implements LayerPlan {}

  /** A dense layer; bias and activation may be filled in by later nodes. */
  static final class Dense implements LayerPlan {
    final int in;
    final int out;
    final float[] weight;
    float[] bias;
    OutputActivation activation = OutputActivation.NONE;
    final String nodeName;

    Dense(int in, int out, float[] weight, float[] bias, String nodeName) {
      this.in = in;
      this.out = out;
      this.weight = weight;
      this.bias = bias;
      this.nodeName = nodeName;
    }
  }

  /** The walk's result. */
  record Plan(String inputName, boolean tokens, int inputSize, List<LayerPlan> layers, String outputName,
      boolean lastStep, Map<String, String> notes) {}

  /**
   * One slice along axis 0 of a Y_h or Y_c output: the final state of one direction of one layer.
   *
   * @param stream the Y_h value whose last step Rill streams (forward one-direction layers only), else null
   */
  record StateEntry(int layer, String direction, boolean cell, String stream) {
    String describe() {
      return "final " + (cell ? "cell" : "hidden") + " state of recurrent layer " + layer + " (" + direction + ")";
    }
  }

  /**
   * A value computed only from final states.
   *
   * @param entries its slices along axis 0 when it is a Y_h/Y_c or a Concat of them on axis 0, else null
   */
  record StateValue(String description, List<StateEntry> entries) {}

  /** A value equal to graph input {@code input}, through Identity and Cast nodes ({@code castTo} 0 if none). */
  record RuntimeAlias(String input, int castTo, String via) {}

  /** Nodes that only reshape or pick from final states; their result is still a final state. */
  private static final Set<String> STATE_PLUMBING = Set.of("Identity", "Dropout", "Squeeze", "Unsqueeze",
      "Transpose", "Reshape", "Flatten", "Concat", "Gather");
  /** Nodes that may turn the final state of the last layer into the model's (last-step) data output. */
  private static final Set<String> DATA_OPS = Set.of("MatMul", "Gemm", "Add", "Softmax", "LogSoftmax", "Sigmoid",
      "Tanh");

  private static final Set<String> PASS_THROUGH = Set.of("Identity", "Dropout");
  /** ONNX TensorProto.DataType numbers. */
  private static final int FLOAT = 1;
  private static final int INT32 = 6;
  private static final int INT64 = 7;
  private static final int DOUBLE = 11;
  private static final Set<String> SHAPE_OPS = Set.of("Shape", "Size");

  /** Operators the importer understands somewhere (folding, data path or shape computations). */
  private static final Set<String> KNOWN = known();

  private static Set<String> known() {
    Set<String> s = new HashSet<>(ConstantFolder.FOLDABLE);
    s.addAll(RecurrentNode.OPS);
    s.addAll(List.of("Dropout", "Gemm", "MatMul", "Softmax", "LogSoftmax", "Sigmoid", "Tanh", "Expand"));
    return Set.copyOf(s);
  }

  private final GraphScope scope;
  private final ConstantFolder folder;
  private final int opset;

  private final Map<String, StreamShape> streams = new HashMap<>();
  /** For each stream value, the number of layers that existed when it was produced. */
  private final Map<String, Integer> streamLayer = new HashMap<>();
  private final Set<String> derived = new HashSet<>();
  private final Set<String> zeros = new HashSet<>();
  /** Final states (Y_h, Y_c) and values computed from them alone; never data unless also in {@link #streams}. */
  private final Map<String, StateValue> states = new HashMap<>();
  /** Values that equal a graph input through Identity or Cast nodes: value -> how (the graph input and casts). */
  private final Map<String, RuntimeAlias> runtimeAliases = new HashMap<>();
  /** Graph inputs that feed a recurrent node's sequence_lens. */
  private final Set<String> lengthInputs = new HashSet<>();
  private final List<NodeProto> unsupportedNodes = new ArrayList<>();
  private final List<LayerPlan> layers = new ArrayList<>();
  private final Map<String, List<String>> unsupported = new LinkedHashMap<>();
  private final Map<String, String> notes = new LinkedHashMap<>();
  private String dataInput;
  /** A graph input reshaped before any layer ({@link #startAtReshape}), until a recurrent layer reads it. */
  private String pendingInput;
  private boolean tokens;
  private int inputSize;

  GraphWalker(GraphScope scope, ConstantFolder folder, int opset) {
    this.scope = scope;
    this.folder = folder;
    this.opset = opset;
  }

  Plan walk() throws OnnxImportException {
    for (NodeProto node : scope.graph.getNodeList()) {
      visit(node);
    }
    if (!unsupported.isEmpty()) {
      // Name the operators Rill never runs first; known operators used in an unsupported way only if none.
      Map<String, List<String>> report = new LinkedHashMap<>(unsupported);
      report.keySet().removeIf(KNOWN::contains);
      boolean foreign = !report.isEmpty();
      if (!foreign) {
        report = unsupported;
      }
      StringBuilder msg = new StringBuilder(foreign ? "the graph uses operators that Rill does not run: "
          : "the graph uses operators in a way Rill cannot follow: ");
      int k = 0;
      for (Map.Entry<String, List<String>> e : report.entrySet()) {
        msg.append(k++ > 0 ? "; " : "").append(e.getKey()).append(" (node").append(e.getValue().size() > 1 ? "s " : " ")
            .append(String.join(", ", e.getValue().stream().limit(8).map(n -> "'" + n + "'").toList()))
            .append(e.getValue().size() > 8 ? ", ..." : "").append(")");
      }
      List<String> recurrent = new ArrayList<>();
      for (GraphScope.Located l : scope.allNodes()) {
        if (RecurrentNode.OPS.contains(l.node().getOpType())) {
          recurrent.add("'" + l.node().getName() + "'");
        }
      }
      String lengths = lengthsReadBy(unsupportedNodes);
      if (lengths != null) {
        msg.append(". Some of these nodes compute from graph input '").append(lengths).append("', the sequence_lens "
            + "of a recurrent node, typically to mask the output past each sequence's length; the importer does "
            + "not follow such a mask (it is out of scope), but a Rill model already zeroes its output past the "
            + "lengths given at run time (SequenceBatch.withLengths), so export the model without the mask");
      }
      msg.append(". To import only recurrent nodes, name them with --node NAME (OnnxImportOptions.nodes)");
      if (!recurrent.isEmpty()) {
        msg.append("; recurrent nodes in this model: ").append(String.join(", ", recurrent));
      }
      msg.append('.');
      throw new OnnxImportException(msg.toString());
    }
    if (dataInput == null) {
      throw new OnnxImportException("no recurrent, embedding or dense layer reads a graph input: the graph has "
          + "nothing Rill can run");
    }
    String output = chooseOutput();
    requireCurrent(output, "graph output '" + output + "'");
    StreamShape shape = streams.get(output);
    if (!isStepOutput(shape)) {
      throw new OnnxImportException("graph output '" + output + "' has shape " + shape + "; Rill produces "
          + "[T, N, features] (directions concatenated before the hidden units), and the graph's output cannot be "
          + "rearranged into that by its reshapes");
    }
    if (layers.isEmpty()) {
      throw new OnnxImportException("graph output '" + output + "' is the graph input; there is no layer");
    }
    if (shape.lastStep()) {
      StateValue state = states.get(output);
      notes.put("onnx.output." + output, (state != null ? state.description() + ", imported as the model output"
          : "computed from the last step only (many-to-one)") + ": the Rill model outputs this value at every step; "
          + "at the last step of each sequence it equals the ONNX output");
    }
    return new Plan(dataInput, tokens, inputSize, layers, output, shape.lastStep(), notes);
  }

  /**
   * Picks the graph output that carries the data path. Final states (Y_h, Y_c and what is computed from them
   * alone) are not Rill outputs, since a caller reads them from the run's State; they are noted in the metadata.
   * Only when no other output carries data may the final hidden state of the last layer be the output: Rill's
   * per-step output of that layer equals it at the last step (forward layers only).
   */
  private String chooseOutput() throws OnnxImportException {
    List<String> data = new ArrayList<>();
    List<String> stateData = new ArrayList<>();
    List<String> stateOnly = new ArrayList<>();
    for (ValueInfoProto out : scope.graph.getOutputList()) {
      String name = out.getName();
      if (streams.containsKey(name)) {
        (states.containsKey(name) ? stateData : data).add(name);
      } else if (states.containsKey(name)) {
        stateOnly.add(name);
      } else {
        notes.put("onnx.output." + name, "not produced by the Rill model");
      }
    }
    if (data.size() > 1) {
      StringBuilder msg = new StringBuilder("graph outputs ");
      for (int i = 0; i < data.size(); i++) {
        String name = data.get(i);
        msg.append(i > 0 ? " and " : "").append('\'').append(name).append("' (")
            .append(streams.get(name).lastStep() ? "last step only" : "every step").append(')');
      }
      throw new OnnxImportException(msg + " all carry data; Rill models have one output. Export the model with "
          + "only the output you want to run, or import the recurrent nodes with --node NAME");
    }
    String output;
    if (data.size() == 1) {
      output = data.get(0);
      stateOnly.addAll(stateData);
    } else if (stateData.size() == 1) {
      output = stateData.get(0);
    } else if (stateData.size() > 1) {
      throw new OnnxImportException("graph outputs " + stateData.stream().map(n -> "'" + n + "'").toList()
          + " are all the final hidden state of the last layer and no output carries the per-step data; keep one");
    } else if (!stateOnly.isEmpty()) {
      throw new OnnxImportException("the graph outputs only final states: " + String.join("; ", stateOnly.stream()
          .map(n -> "'" + n + "' is the " + states.get(n).description()).toList()) + ". Rill outputs the last "
          + "layer's hidden state at every step, which equals a final state only for the hidden state of a forward "
          + "(not reverse or bidirectional) last layer, such as h_n[-1] of a PyTorch LSTM or GRU. Export the "
          + "per-step output instead (PyTorch: the first result of the LSTM/GRU module, with a Linear on it), or "
          + "import the recurrent nodes with --node NAME and read the final states from the run's State");
    } else {
      throw new OnnxImportException("no graph output carries the data path (outputs: "
          + scope.graph.getOutputList().stream().map(ValueInfoProto::getName).toList() + ")");
    }
    for (String name : stateOnly) {
      notes.put("onnx.output." + name, states.get(name).description()
          + "; not a Rill output, read it from the State after a run");
    }
    return output;
  }

  /** The sequence_lens graph input that one of {@code nodes} computes from (through any nodes), or null. */
  private String lengthsReadBy(List<NodeProto> nodes) {
    if (lengthInputs.isEmpty()) {
      return null;
    }
    Set<String> seen = new HashSet<>();
    List<String> todo = new ArrayList<>();
    nodes.forEach(n -> todo.addAll(n.getInputList()));
    while (!todo.isEmpty()) {
      String value = todo.remove(todo.size() - 1);
      if (value.isEmpty() || !seen.add(value)) {
        continue;
      }
      if (lengthInputs.contains(value)) {
        return value;
      }
      NodeProto producer = scope.producer(value);
      if (producer != null && !RecurrentNode.OPS.contains(producer.getOpType())) {
        todo.addAll(producer.getInputList());
      }
    }
    return null;
  }

  /** [T, N, F], [N, T, F], [T*N, F] or (last step only) [N, F], ignoring axes of size 1. */
  private static boolean isStepOutput(StreamShape s) {
    List<Integer> real = new ArrayList<>();
    for (int i = 0; i < s.rank(); i++) {
      if (s.size(i) != 1) {
        real.add(i);
      }
    }
    if (real.isEmpty() || !s.isFeatureAxis(real.get(real.size() - 1))) {
      return false;
    }
    List<Character> rest = new ArrayList<>();
    for (int i : real.subList(0, real.size() - 1)) {
      for (Tag t : s.axes().get(i)) {
        if (t.size() != 1) {
          rest.add(t.kind());
        }
      }
    }
    if (s.lastStep()) {
      return rest.equals(List.of('N')) || rest.isEmpty();
    }
    return rest.size() == 2 && rest.contains('T') && rest.contains('N');
  }

  private void visit(NodeProto node) throws OnnxImportException {
    String op = node.getOpType();
    boolean hasStream = false;
    boolean hasDerived = false;
    boolean hasRuntime = false;
    boolean hasState = false;
    for (int i = 0; i < node.getInputCount(); i++) {
      String in = node.getInput(i);
      if (in.isEmpty()) {
        continue;
      }
      hasState |= states.containsKey(in);
      if (streams.containsKey(in)) {
        hasStream = true;
      } else if (derived.contains(in)) {
        hasDerived = true;
      } else if (runtimeRoot(in) != null) {
        hasRuntime = true;
      }
    }
    if (RecurrentNode.OPS.contains(op)) {
      recurrent(node);
      return;
    }
    if (hasState && stateNode(node)) {
      return;
    }
    if (!hasStream && hasRuntime && (aliasOfRuntimeInput(node) || startAtReshape(node))) {
      return;
    }
    if (!hasStream && !hasRuntime) {
      if (hasDerived) {
        markDerived(node);
      } else if (folder.tryFold(firstOutput(node), scope) == null && !node.getOutputList().isEmpty()) {
        // Not constant, not on the data path: e.g. an operator Rill does not know applied to constants.
        unsupported(node, node.getName());
      }
      return;
    }
    if (SHAPE_OPS.contains(op)) {
      markDerived(node);
      return;
    }
    String what = NodeAttributes.describe(node);
    switch (op) {
      case "Identity", "Dropout" -> passThrough(node, streamOf(node, 0, what));
      case "Transpose" -> transpose(node, what);
      case "Squeeze" -> squeeze(node, what);
      case "Unsqueeze" -> unsqueeze(node, what);
      case "Reshape" -> reshape(node, what);
      case "Flatten" -> flatten(node, what);
      case "Gather" -> gather(node, what);
      case "MatMul" -> matMul(node, what);
      case "Gemm" -> gemm(node, what);
      case "Add" -> addBias(node, what);
      case "Softmax", "LogSoftmax", "Sigmoid", "Tanh" -> activation(node, what);
      default -> unsupported(node, node.getName());
    }
  }

  private void unsupported(NodeProto node, String label) {
    unsupported.computeIfAbsent(node.getOpType(), k -> new ArrayList<>()).add(label);
    unsupportedNodes.add(node);
  }

  /** The graph input that {@code value} is or equals through Identity/Cast nodes, or null. */
  private String runtimeRoot(String value) {
    if (scope.isRuntimeInput(value)) {
      return value;
    }
    RuntimeAlias alias = runtimeAliases.get(value);
    return alias == null ? null : alias.input();
  }

  /**
   * Identity or Cast of a graph input that is not (yet) data, e.g. {@code Cast(lengths, to=INT32)} before an
   * LSTM's sequence_lens, or a Cast of token ids: the result stands for the graph input itself.
   */
  private boolean aliasOfRuntimeInput(NodeProto node) throws OnnxImportException {
    String op = node.getOpType();
    if (!(op.equals("Identity") || op.equals("Cast")) || node.getInputCount() != 1 || node.getOutputCount() != 1) {
      return false;
    }
    String in = node.getInput(0);
    String root = runtimeRoot(in);
    if (root == null) {
      return false;
    }
    RuntimeAlias before = runtimeAliases.get(in);
    int castTo = op.equals("Cast") ? (int) new NodeAttributes(node).getInt("to", 0) : before == null ? 0
        : before.castTo();
    String via = (before == null ? "" : before.via() + ", ") + op + " '" + node.getName() + "'";
    runtimeAliases.put(node.getOutput(0), new RuntimeAlias(root, castTo, via));
    return true;
  }

  /**
   * A reshaping node on the float graph input before any layer, such as the Transpose a {@code batch_first=True}
   * PyTorch export puts before its first LSTM: the input becomes the data path, with its time and batch axes
   * still unnamed (the recurrent node's layout names them) and its declared last dimension as the features.
   */
  private boolean startAtReshape(NodeProto node) throws OnnxImportException {
    String op = node.getOpType();
    String in = RecurrentNode.input(node, 0);
    if (!Set.of("Transpose", "Squeeze", "Unsqueeze", "Reshape", "Flatten").contains(op) || dataInput != null
        || pendingInput != null || !scope.isRuntimeInput(in)) {
      return false;
    }
    ValueInfoProto info = scope.graph.getInputList().stream().filter(v -> v.getName().equals(in)).findFirst()
        .orElse(null);
    if (info == null || !info.getType().hasTensorType() || info.getType().getTensorType().getElemType() != FLOAT
        || info.getType().getTensorType().getShape().getDimCount() != 3
        || !info.getType().getTensorType().getShape().getDim(2).hasDimValue()) {
      return false; // left to the operator report
    }
    int features = (int) info.getType().getTensorType().getShape().getDim(2).getDimValue();
    // The data input once a recurrent layer reads the result (it could also be, say, an initial state input).
    pendingInput = in;
    produce(in, StreamShape.of(false, List.of(new Tag('A', -1)), List.of(new Tag('B', -1)),
        List.of(new Tag('F', features))));
    visitStream(node, NodeAttributes.describe(node));
    return true;
  }

  /**
   * Handles a node that reads final states and no other data: it reshapes, concatenates or picks from them
   * (h_n = Concat(Y_h of each layer), h_n[-1] = Gather(h_n, -1)), or computes something from them that is not
   * part of the Rill model. Returns false when the node belongs on the data path instead: a Dense layer or
   * activation applied to the final hidden state of the last layer (many-to-one).
   */
  private boolean stateNode(NodeProto node) throws OnnxImportException {
    String op = node.getOpType();
    List<String> ins = node.getInputList().stream().filter(n -> !n.isEmpty()).toList();
    boolean allStreams = true;
    StateValue first = null;
    for (String in : ins) {
      if (streams.containsKey(in) && !states.containsKey(in)) {
        return false; // mixes final states with per-step data: left to the data path, which reports it
      }
      if (states.containsKey(in)) {
        first = first == null ? states.get(in) : first;
        allStreams &= streams.containsKey(in);
      }
    }
    if (DATA_OPS.contains(op) && allStreams) {
      return false;
    }
    String what = NodeAttributes.describe(node);
    String in0 = RecurrentNode.input(node, 0);
    StateValue result = new StateValue("value computed from the " + first.description() + " by " + what, null);
    if (STATE_PLUMBING.contains(op) && states.containsKey(in0)) {
      StateValue source = states.get(in0);
      result = new StateValue(source.description(), null);
      switch (op) {
        case "Identity", "Dropout" -> {
          result = source;
          followAsData(node, what);
        }
        case "Concat" -> result = concatStates(node, ins);
        case "Gather" -> {
          StateEntry picked = pickState(node, source);
          if (picked != null) {
            result = new StateValue(picked.describe(), null);
            if (picked.stream() != null && streams.containsKey(picked.stream())) {
              // The final hidden state of a forward layer: data if it leads to the graph output.
              StreamShape s = streams.get(picked.stream());
              List<List<Tag>> axes = new ArrayList<>(s.axes());
              axes.remove(0);
              streams.put(firstOutput(node), new StreamShape(axes, true));
              streamLayer.put(firstOutput(node), streamLayer.get(picked.stream()));
            }
          }
        }
        default -> {
          String reason = followAsData(node, what);
          if (reason != null) {
            result = new StateValue(source.description() + " (reshaped by " + what + ", which the importer cannot "
                + "follow as data: " + reason + ")", null);
          }
        }
      }
    }
    for (String out : node.getOutputList()) {
      if (!out.isEmpty()) {
        states.put(out, result);
      }
    }
    return true;
  }

  /**
   * Follows a reshaping node on the final hidden state of a forward layer, which may lead to the model output
   * (many-to-one). Returns null, or why it cannot be followed: then the result is only a final state, which does
   * not fail the import unless the graph output needs it.
   */
  private String followAsData(NodeProto node, String what) {
    if (!streams.containsKey(RecurrentNode.input(node, 0))) {
      return null;
    }
    try {
      visitStream(node, what);
      return null;
    } catch (OnnxImportException e) {
      return e.getMessage();
    }
  }

  /** The data-path handling of a reshaping node. */
  private void visitStream(NodeProto node, String what) throws OnnxImportException {
    switch (node.getOpType()) {
      case "Identity", "Dropout" -> passThrough(node, streamOf(node, 0, what));
      case "Transpose" -> transpose(node, what);
      case "Squeeze" -> squeeze(node, what);
      case "Unsqueeze" -> unsqueeze(node, what);
      case "Reshape" -> reshape(node, what);
      case "Flatten" -> flatten(node, what);
      default -> { }
    }
  }

  /** Concat of whole Y_h (or Y_c) values on axis 0, as PyTorch builds h_n of a stack: the slices in order. */
  private StateValue concatStates(NodeProto node, List<String> ins) throws OnnxImportException {
    long axis = new NodeAttributes(node).getInt("axis", 0);
    List<StateEntry> entries = new ArrayList<>();
    for (String in : ins) {
      StateValue v = states.get(in);
      if (v == null || v.entries() == null || (axis != 0 && axis != -3)) {
        return new StateValue("value concatenated from final states by " + NodeAttributes.describe(node), null);
      }
      entries.addAll(v.entries());
    }
    return new StateValue("final states of recurrent layers " + entries.stream().map(StateEntry::layer).distinct()
        .toList() + " stacked on axis 0 (h_n / c_n)", List.copyOf(entries));
  }

  /** The slice that Gather(state, constant scalar i, axis 0) picks, or null if it is not such a Gather. */
  private StateEntry pickState(NodeProto node, StateValue source) throws OnnxImportException {
    long axis = new NodeAttributes(node).getInt("axis", 0);
    ConstTensor idx = folder.tryFold(RecurrentNode.input(node, 1), scope);
    if (source.entries() == null || axis != 0 || idx == null || idx.rank() != 0) {
      return null;
    }
    long i = idx.longAt(0);
    int n = source.entries().size();
    if (i < -n || i >= n) {
      return null;
    }
    return source.entries().get((int) (i < 0 ? i + n : i));
  }

  private static String firstOutput(NodeProto node) {
    return node.getOutputCount() == 0 ? "" : node.getOutput(0);
  }

  private void markDerived(NodeProto node) throws OnnxImportException {
    for (String out : node.getOutputList()) {
      if (!out.isEmpty()) {
        derived.add(out);
        if (node.getOpType().equals("ConstantOfShape")) {
          ConstTensor value = node.getAttributeCount() == 0 ? null
              : OnnxTensors.decode(node.getAttribute(0).getT(), null, 1);
          if (value == null || value.doubleAt(0) == 0) {
            zeros.add(out);
          }
        } else if (PASS_THROUGH.contains(node.getOpType()) || node.getOpType().equals("Expand")
            || node.getOpType().equals("Cast")) {
          if (zeros.contains(node.getInput(0))) {
            zeros.add(out);
          }
        }
      }
    }
  }

  // ---- data-path helpers ------------------------------------------------------------------------------------

  private StreamShape streamOf(NodeProto node, int i, String what) throws OnnxImportException {
    String in = RecurrentNode.input(node, i);
    StreamShape s = streams.get(in);
    if (s == null) {
      throw new OnnxImportException(what + ": input " + i + " ('" + in + "') is not on the data path");
    }
    return s;
  }

  private void requireCurrent(String value, String what) throws OnnxImportException {
    Integer at = streamLayer.get(value);
    if (at != null && at != layers.size()) {
      throw new OnnxImportException(what + " reads the output of an earlier layer, not of the last one; Rill "
          + "runs a single chain of layers (no skip connections or branches)");
    }
  }

  private void produce(String name, StreamShape shape) {
    if (!name.isEmpty()) {
      streams.put(name, shape);
      streamLayer.put(name, layers.size());
    }
  }

  private void passThrough(NodeProto node, StreamShape s) {
    produce(firstOutput(node), s);
  }

  private void transpose(NodeProto node, String what) throws OnnxImportException {
    StreamShape s = streamOf(node, 0, what);
    long[] perm = new NodeAttributes(node).getInts("perm");
    int r = s.rank();
    // Checked before it is used: a hostile perm may be shorter than the rank or repeat an axis.
    if (perm != null && (perm.length != r || new HashSet<>(Arrays.stream(perm).boxed().toList()).size() != r)) {
      throw new OnnxImportException(what + ": perm " + Arrays.toString(perm) + " is not a permutation of rank " + r);
    }
    List<List<Tag>> out = new ArrayList<>();
    for (int i = 0; i < r; i++) {
      int src = perm == null ? r - 1 - i : (int) ConstantFolder.normalizeAxis(perm[i], r, what);
      out.add(s.axes().get(src));
    }
    produce(firstOutput(node), new StreamShape(out, s.lastStep()));
  }

  private long[] axesArg(NodeProto node, String what) throws OnnxImportException {
    NodeAttributes attrs = new NodeAttributes(node);
    if (attrs.has("axes")) {
      return attrs.getInts("axes");
    }
    String in = RecurrentNode.input(node, 1);
    return in.isEmpty() ? null : folder.fold(in, scope, what + ": axes").toLongArray();
  }

  private void squeeze(NodeProto node, String what) throws OnnxImportException {
    StreamShape s = streamOf(node, 0, what);
    long[] axes = axesArg(node, what);
    boolean[] drop = new boolean[s.rank()];
    for (int i = 0; i < s.rank(); i++) {
      drop[i] = axes == null && s.size(i) == 1;
    }
    if (axes != null) {
      for (long a : axes) {
        int i = (int) ConstantFolder.normalizeAxis(a, s.rank(), what);
        if (s.size(i) != 1) {
          throw new OnnxImportException(what + ": cannot squeeze axis " + a + " of " + s + " (not of size 1)");
        }
        drop[i] = true;
      }
    }
    List<List<Tag>> out = new ArrayList<>();
    for (int i = 0; i < s.rank(); i++) {
      if (!drop[i]) {
        out.add(s.axes().get(i));
      }
    }
    produce(firstOutput(node), new StreamShape(out, s.lastStep()));
  }

  private void unsqueeze(NodeProto node, String what) throws OnnxImportException {
    StreamShape s = streamOf(node, 0, what);
    long[] axes = axesArg(node, what);
    if (axes == null) {
      throw new OnnxImportException(what + ": no axes");
    }
    int rank = s.rank() + axes.length;
    boolean[] one = new boolean[rank];
    for (long a : axes) {
      int i = (int) ConstantFolder.normalizeAxis(a, rank, what);
      if (one[i]) {
        throw new OnnxImportException(what + ": axes " + Arrays.toString(axes) + " name axis " + i + " twice");
      }
      one[i] = true;
    }
    List<List<Tag>> out = new ArrayList<>();
    int k = 0;
    for (int i = 0; i < rank; i++) {
      out.add(one[i] ? List.of() : s.axes().get(k++));
    }
    produce(firstOutput(node), new StreamShape(out, s.lastStep()));
  }

  private void flatten(NodeProto node, String what) throws OnnxImportException {
    StreamShape s = streamOf(node, 0, what);
    long axis = new NodeAttributes(node).getInt("axis", 1);
    if (axis < -s.rank() || axis > s.rank()) {
      throw new OnnxImportException(what + ": axis " + axis + " out of range [" + -s.rank() + ", " + s.rank()
          + "] for data " + s);
    }
    int a = (int) (axis < 0 ? axis + s.rank() : axis);
    List<Tag> left = new ArrayList<>();
    List<Tag> right = new ArrayList<>();
    for (int i = 0; i < s.rank(); i++) {
      (i < a ? left : right).addAll(s.axes().get(i));
    }
    produce(firstOutput(node), new StreamShape(List.of(left, right), s.lastStep()));
  }

  /** Reshape with a constant target: regroups the base tags, which a reshape never reorders. */
  private void reshape(NodeProto node, String what) throws OnnxImportException {
    StreamShape s = streamOf(node, 0, what);
    long[] target = folder.fold(RecurrentNode.input(node, 1), scope, what + ": shape").toLongArray();
    boolean allowZero = new NodeAttributes(node).getInt("allowzero", 0) != 0;
    List<Tag> flat = s.flat();
    List<List<Tag>> groups = new ArrayList<>();
    int infer = -1;
    int pos = 0;
    for (int i = 0; i < target.length; i++) {
      if (target[i] == -1) {
        infer = i;
        groups.add(null);
        break;
      }
      List<Tag> group = new ArrayList<>();
      pos = consume(flat, pos, group, target, i, s, allowZero, what);
      groups.add(group);
    }
    if (infer >= 0) {
      int end = flat.size();
      List<List<Tag>> tail = new ArrayList<>();
      for (int i = target.length - 1; i > infer; i--) {
        List<Tag> group = new ArrayList<>();
        if (target[i] == 0 && !allowZero && i >= s.rank()) {
          throw cannotReshape(s, target, what); // a 0 copies an input dimension that does not exist
        }
        long want = target[i] == 0 && !allowZero ? s.size(i) : target[i];
        long prod = 1;
        while (prod < want && end > pos && flat.get(end - 1).size() > 0) {
          group.add(0, flat.get(--end));
          prod *= flat.get(end).size();
        }
        if (prod != want) {
          throw cannotReshape(s, target, what);
        }
        tail.add(0, group);
      }
      groups.set(infer, new ArrayList<>(flat.subList(pos, end)));
      groups.addAll(tail);
      pos = end;
    }
    if (pos != flat.size() || groups.size() != target.length) {
      throw cannotReshape(s, target, what);
    }
    produce(firstOutput(node), new StreamShape(groups, s.lastStep()));
  }

  private static int consume(List<Tag> flat, int pos, List<Tag> group, long[] target, int i, StreamShape s,
      boolean allowZero, String what) throws OnnxImportException {
    if (target[i] == 0 && !allowZero) {
      if (i >= s.rank()) {
        throw cannotReshape(s, target, what);
      }
      for (Tag t : s.axes().get(i)) {
        if (t.size() == 1) {
          continue;
        }
        if (pos >= flat.size() || !flat.get(pos).equals(t)) {
          throw cannotReshape(s, target, what);
        }
        group.add(flat.get(pos++));
      }
      return pos;
    }
    long prod = 1;
    while (prod < target[i] && pos < flat.size()) {
      Tag t = flat.get(pos);
      if (t.size() < 0) {
        if (prod == 1 && group.isEmpty()) {
          // An unknown T or N given as a literal size: only acceptable when it is the whole dimension.
          throw new OnnxImportException(what + ": reshape to " + Arrays.toString(target) + " fixes dimension "
              + target[i] + " where the data has the " + (t.kind() == 'T' ? "time" : "batch")
              + " axis of unknown size; export with dynamic axes (0 or -1 in the shape)");
        }
        break;
      }
      group.add(t);
      prod *= t.size();
      pos++;
    }
    if (prod != target[i]) {
      throw cannotReshape(s, target, what);
    }
    return pos;
  }

  private static OnnxImportException cannotReshape(StreamShape s, long[] target, String what) {
    return new OnnxImportException(what + ": cannot follow reshape of data " + s + " to " + Arrays.toString(target)
        + " (it would mix time, batch and feature axes)");
  }

  // ---- layers -------------------------------------------------------------------------------------------

  private void useInput(String name, boolean asTokens, int size, String what) throws OnnxImportException {
    if (dataInput != null && !dataInput.equals(name)) {
      throw new OnnxImportException(what + " reads graph input '" + name + "', but the data path already starts at '"
          + dataInput + "'; Rill models have one input");
    }
    if (!layers.isEmpty()) {
      throw new OnnxImportException(what + " reads graph input '" + name + "' after other layers");
    }
    dataInput = name;
    tokens = asTokens;
    inputSize = size;
  }

  private void recurrent(NodeProto node) throws OnnxImportException {
    String what = NodeAttributes.describe(node);
    RecurrentNode rn = RecurrentNode.parse(node, scope, folder);
    String x = rn.x();
    int d = rn.directions();
    if (!streams.containsKey(x)) {
      String root = runtimeRoot(x);
      if (root == null) {
        throw new OnnxImportException(what + ": input X ('" + x + "') is neither a graph input nor the output "
            + "of a layer Rill can run" + (states.containsKey(x) ? " (it is a " + states.get(x).description()
            + ", not a sequence)" : ""));
      }
      RuntimeAlias alias = runtimeAliases.get(x);
      if (alias != null && alias.castTo() != 0 && alias.castTo() != FLOAT && alias.castTo() != DOUBLE) {
        throw new OnnxImportException(what + ": X reads graph input '" + root + "' through " + alias.via()
            + ", a Cast to ONNX type " + alias.castTo() + "; Rill computes in float32 and cannot reproduce it");
      }
      useInput(root, false, rn.inputSize(), what);
      Tag a = new Tag('A', -1);
      Tag b = new Tag('B', -1);
      produce(x, StreamShape.of(false, List.of(a), List.of(b), List.of(new Tag('F', rn.inputSize()))));
    }
    if (dataInput == null && pendingInput != null && streams.containsKey(x)) {
      useInput(pendingInput, false, rn.inputSize(), what);
    }
    requireCurrent(x, what + ": X");
    StreamShape s = streams.get(x);
    if (s.lastStep()) {
      throw new OnnxImportException(what + ": X is a final state (Y_h), not a sequence");
    }
    int timeAxis = rn.layout() == 0 ? 0 : 1;
    int batchAxis = 1 - timeAxis;
    if (s.rank() != 3 || !s.isFeatureAxis(2) || s.size(2) != rn.inputSize()) {
      throw new OnnxImportException(what + ": X has shape " + s + ", expected [" + (timeAxis == 0 ? "T, N" : "N, T")
          + ", " + rn.inputSize() + "] (the previous layer's output does not match W's input size)");
    }
    bind(s, timeAxis, 'T', what);
    bind(streams.get(x), batchAxis, 'N', what);
    s = streams.get(x);
    if (!s.axisIs(timeAxis, 'T') || !s.axisIs(batchAxis, 'N')) {
      throw new OnnxImportException(what + ": X has shape " + s + " but layout " + rn.layout() + " needs "
          + (timeAxis == 0 ? "[T, N, features]" : "[N, T, features]"));
    }
    for (String state : List.of(rn.initialH(), rn.initialC(), rn.sequenceLens())) {
      checkStateInput(rn, state, what);
    }
    layers.add(new Recurrent(rn));
    int index = (int) layers.stream().filter(l -> l instanceof Recurrent).count() - 1;
    Tag t = new Tag('T', -1);
    Tag n = new Tag('N', -1);
    Tag dt = new Tag('D', d);
    Tag h = new Tag('H', rn.hidden());
    if (rn.layout() == 0) {
      produce(rn.y(), StreamShape.of(false, List.of(t), List.of(dt), List.of(n), List.of(h)));
    } else {
      produce(rn.y(), StreamShape.of(false, List.of(n), List.of(t), List.of(dt), List.of(h)));
    }
    boolean forward = d == 1 && rn.direction() == dev.rill.format.proto.Direction.FORWARD;
    if (!rn.yH().isEmpty()) {
      if (forward) {
        // Y_h of a forward layer equals its output at the last step.
        produce(rn.yH(), rn.layout() == 0 ? StreamShape.of(true, List.of(dt), List.of(n), List.of(h))
            : StreamShape.of(true, List.of(n), List.of(dt), List.of(h)));
      }
      states.put(rn.yH(), stateOf(rn, index, false, forward ? rn.yH() : null));
    }
    if (!rn.yC().isEmpty()) {
      states.put(rn.yC(), stateOf(rn, index, true, null));
    }
  }

  private static StateValue stateOf(RecurrentNode rn, int layer, boolean cell, String stream) {
    int d = rn.directions();
    String kind = d == 2 ? "bidirectional" : rn.direction() == dev.rill.format.proto.Direction.REVERSE ? "reverse"
        : "forward";
    String description = "final " + (cell ? "cell" : "hidden") + " state " + (cell ? "Y_c" : "Y_h")
        + " of recurrent layer " + layer + " (" + kind + ", State." + (cell ? "cell" : "hidden") + "(" + layer + "))";
    if (rn.layout() != 0) {
      return new StateValue(description, null); // [N, D, H]: axis 0 is the batch, not the directions
    }
    List<StateEntry> entries = new ArrayList<>();
    for (int i = 0; i < d; i++) {
      entries.add(new StateEntry(layer, d == 2 ? (i == 0 ? "forward" : "backward") : kind, cell, stream));
    }
    return new StateValue(description, List.copyOf(entries));
  }

  /** Resolves an unbound sequence axis (A or B of the graph input) to time or batch everywhere. */
  private void bind(StreamShape s, int axis, char kind, String what) {
    List<Tag> tags = s.axes().get(axis);
    if (tags.size() != 1 || (tags.get(0).kind() != 'A' && tags.get(0).kind() != 'B')) {
      return;
    }
    Tag from = tags.get(0);
    Tag to = new Tag(kind, -1);
    notes.put("onnx.input_layout", "graph input '" + dataInput + "' is " + (from.kind() == 'A' ? (kind == 'T'
        ? "time-major [T, N, ...]" : "batch-major [N, T, ...]") : (kind == 'T' ? "batch-major [N, T, ...]"
        : "time-major [T, N, ...]")));
    for (Map.Entry<String, StreamShape> e : streams.entrySet()) {
      List<List<Tag>> axes = new ArrayList<>();
      for (List<Tag> a : e.getValue().axes()) {
        axes.add(a.stream().map(t -> t.equals(from) ? to : t).toList());
      }
      e.setValue(new StreamShape(axes, e.getValue().lastStep()));
    }
  }

  private void checkStateInput(RecurrentNode rn, String name, String what) throws OnnxImportException {
    if (name.isEmpty() || zeros.contains(name)) {
      return;
    }
    String role = name.equals(rn.sequenceLens()) ? "sequence_lens" : name.equals(rn.initialH()) ? "initial_h"
        : "initial_c";
    int index = (int) layers.stream().filter(l -> l instanceof Recurrent).count();
    String root = runtimeRoot(name);
    if (root != null) {
      RuntimeAlias alias = runtimeAliases.get(name);
      notes.put("onnx.layer." + index + "." + role, "graph input '" + root + "'"
          + (alias == null ? "" : " through " + alias.via()) + " (pass it at run time)");
      if (role.equals("sequence_lens")) {
        lengthInputs.add(root);
      }
      return;
    }
    if (states.containsKey(name)) {
      throw new OnnxImportException(what + ": " + role + " ('" + name + "') is the " + states.get(name).description()
          + "; a Rill model's layers all start from the state the caller passes (zeros by default), so a layer "
          + "cannot start from another layer's final state. Import the layers as separate models with --node NAME");
    }
    if (derived.contains(name)) {
      notes.put("onnx.layer." + index + "." + role, "computed from shapes ('" + name + "'): "
          + (role.equals("sequence_lens") ? "full length" : "zeros"));
      return;
    }
    ConstTensor c = folder.tryFold(name, scope);
    if (c == null) {
      NodeProto producer = scope.producer(name);
      throw new OnnxImportException(what + ": " + role + " ('" + name + "') is computed in the graph"
          + (producer == null ? "" : " by " + NodeAttributes.describe(producer)) + " from "
          + folder.nonConstantCause(name, scope) + "; Rill takes " + role + " at run time ("
          + (role.equals("sequence_lens") ? "SequenceBatch.withLengths" : "SequenceBatch.withInitialState")
          + "), so the importer accepts it only as a graph input, directly or through Identity or Cast: compute it "
          + "outside the model");
    }
    if (!role.equals("sequence_lens")) {
      for (int i = 0; i < c.size(); i++) {
        if (c.doubleAt(i) != 0) {
          throw new OnnxImportException(what + ": " + role + " ('" + name + "') is a non-zero constant; a Rill "
              + "model starts from zeros, pass a State at run time instead");
        }
      }
      return;
    }
    throw new OnnxImportException(what + ": sequence_lens ('" + name + "') is a constant; Rill takes sequence "
        + "lengths at run time (SequenceBatch.withLengths)");
  }

  private void gather(NodeProto node, String what) throws OnnxImportException {
    String data = RecurrentNode.input(node, 0);
    String indices = RecurrentNode.input(node, 1);
    long axis = new NodeAttributes(node).getInt("axis", 0);
    if (!streams.containsKey(data)) {
      // Embedding: Gather(weight initializer [vocab, dim], token ids)
      ConstTensor weight = folder.tryFold(data, scope);
      if (weight == null || weight.rank() != 2 || axis != 0) {
        unsupported(node, node.getName());
        return;
      }
      int vocab = (int) weight.dim(0);
      int dim = (int) weight.dim(1);
      StreamShape ids;
      if (streams.containsKey(indices)) {
        ids = streams.get(indices);
      } else {
        String root = runtimeRoot(indices);
        RuntimeAlias alias = runtimeAliases.get(indices);
        if (alias != null && alias.castTo() != 0 && alias.castTo() != INT32 && alias.castTo() != INT64) {
          throw new OnnxImportException(what + ": the token ids come from graph input '" + root + "' through "
              + alias.via() + ", a Cast to ONNX type " + alias.castTo() + "; only integer casts are supported");
        }
        useInput(root == null ? indices : root, true, vocab, what);
        ids = StreamShape.of(false, List.of(new Tag('A', -1)), List.of(new Tag('B', -1)));
      }
      requireCurrent(indices, what);
      if (!layers.isEmpty()) {
        throw new OnnxImportException(what + ": an embedding must be the first layer");
      }
      layers.add(new Embedding(vocab, dim, weight.toFloatArray()));
      List<List<Tag>> axes = new ArrayList<>(ids.axes());
      axes.add(List.of(new Tag('F', dim)));
      produce(firstOutput(node), new StreamShape(axes, false));
      return;
    }
    // Gather(Y, -1) on the time axis: the last step of the sequence.
    StreamShape s = streams.get(data);
    ConstTensor idx = folder.tryFold(indices, scope);
    int a = (int) ConstantFolder.normalizeAxis(axis, s.rank(), what);
    if (idx == null || idx.size() != 1 || idx.rank() != 0 || idx.longAt(0) != -1 || !s.axisIs(a, 'T')) {
      unsupported(node, node.getName());
      return;
    }
    List<List<Tag>> axes = new ArrayList<>(s.axes());
    axes.remove(a);
    requireCurrent(data, what);
    produce(firstOutput(node), new StreamShape(axes, true));
  }

  private int featureInput(StreamShape s, String what) throws OnnxImportException {
    int last = s.rank() - 1;
    if (!s.isFeatureAxis(last)) {
      throw new OnnxImportException(what + ": its input " + s + " does not have the features on the last axis");
    }
    return (int) s.size(last);
  }

  private StreamShape withFeatures(StreamShape s, int out) {
    List<List<Tag>> axes = new ArrayList<>(s.axes());
    axes.set(axes.size() - 1, List.of(new Tag('F', out)));
    return new StreamShape(axes, s.lastStep());
  }

  private void matMul(NodeProto node, String what) throws OnnxImportException {
    StreamShape s = streamOf(node, 0, what);
    requireCurrent(node.getInput(0), what);
    ConstTensor b = folder.fold(RecurrentNode.input(node, 1), scope, what + ": input B");
    int in = featureInput(s, what);
    if (b.rank() != 2 || b.dim(0) != in) {
      throw new OnnxImportException(what + ": weight has shape " + Arrays.toString(b.shape()) + ", expected [" + in
          + ", outputs]");
    }
    int out = (int) b.dim(1);
    layers.add(new Dense(in, out, transpose2d(b.toFloatArray(), in, out), null, node.getName()));
    produce(firstOutput(node), withFeatures(s, out));
  }

  private void gemm(NodeProto node, String what) throws OnnxImportException {
    StreamShape s = streamOf(node, 0, what);
    requireCurrent(node.getInput(0), what);
    NodeAttributes attrs = new NodeAttributes(node);
    if (attrs.getInt("transA", 0) != 0 || s.rank() != 2) {
      throw new OnnxImportException(what + ": only Gemm on [rows, features] data without transA is supported");
    }
    int in = featureInput(s, what);
    ConstTensor b = folder.fold(RecurrentNode.input(node, 1), scope, what + ": input B");
    boolean transB = attrs.getInt("transB", 0) != 0;
    if (b.rank() != 2 || b.dim(transB ? 1 : 0) != in) {
      throw new OnnxImportException(what + ": B has shape " + Arrays.toString(b.shape()) + ", which does not take "
          + in + " inputs" + (transB ? " (transB=1)" : ""));
    }
    int out = (int) b.dim(transB ? 0 : 1);
    float alpha = attrs.getFloat("alpha", 1f);
    float beta = attrs.getFloat("beta", 1f);
    float[] weight = transB ? b.toFloatArray() : transpose2d(b.toFloatArray(), in, out);
    for (int i = 0; i < weight.length; i++) {
      weight[i] *= alpha;
    }
    float[] bias = null;
    String c = RecurrentNode.input(node, 2);
    if (!c.isEmpty()) {
      bias = broadcastBias(folder.fold(c, scope, what + ": input C"), out, what);
      for (int i = 0; i < bias.length; i++) {
        bias[i] *= beta;
      }
    }
    layers.add(new Dense(in, out, weight, bias, node.getName()));
    produce(firstOutput(node), withFeatures(s, out));
  }

  private void addBias(NodeProto node, String what) throws OnnxImportException {
    int streamIndex = streams.containsKey(RecurrentNode.input(node, 0)) ? 0 : 1;
    String data = RecurrentNode.input(node, streamIndex);
    String other = RecurrentNode.input(node, 1 - streamIndex);
    Dense dense = lastDense(data);
    ConstTensor c = folder.tryFold(other, scope);
    if (dense == null || dense.bias != null || dense.activation != OutputActivation.NONE || c == null) {
      unsupported(node, node.getName() + " (not a bias after MatMul)");
      return;
    }
    dense.bias = broadcastBias(c, dense.out, what);
    produce(firstOutput(node), streams.get(data));
  }

  private void activation(NodeProto node, String what) throws OnnxImportException {
    String data = RecurrentNode.input(node, 0);
    StreamShape s = streams.get(data);
    Dense dense = lastDense(data);
    String op = node.getOpType();
    if (dense == null || dense.activation != OutputActivation.NONE) {
      unsupported(node, node.getName() + " (only after a dense layer)");
      return;
    }
    if (op.equals("Softmax") || op.equals("LogSoftmax")) {
      long axis = new NodeAttributes(node).getInt("axis", opset >= 13 ? -1 : 1);
      int a = (int) ConstantFolder.normalizeAxis(axis, s.rank(), what);
      boolean featuresAfter = true;
      for (int i = a; i < s.rank() - 1; i++) {
        featuresAfter &= s.size(i) == 1; // opset < 13 flattens [axis, rank): only size-1 axes may precede
      }
      if (!featuresAfter) {
        throw new OnnxImportException(what + ": axis " + axis + " is not the feature axis of " + s);
      }
    }
    dense.activation = switch (op) {
      case "Softmax" -> OutputActivation.SOFTMAX;
      case "LogSoftmax" -> OutputActivation.LOG_SOFTMAX;
      case "Sigmoid" -> OutputActivation.OUTPUT_SIGMOID;
      default -> OutputActivation.OUTPUT_TANH;
    };
    produce(firstOutput(node), s);
  }

  /** The last layer if it is a Dense layer and {@code value} is its (current) output. */
  private Dense lastDense(String value) {
    Integer at = streamLayer.get(value);
    if (at == null || at != layers.size() || layers.isEmpty()) {
      return null;
    }
    return layers.get(layers.size() - 1) instanceof Dense d ? d : null;
  }

  private static float[] broadcastBias(ConstTensor c, int out, String what) throws OnnxImportException {
    float[] v = c.toFloatArray();
    if (v.length == out) {
      return v;
    }
    if (v.length == 1) {
      float[] b = new float[out];
      Arrays.fill(b, v[0]);
      return b;
    }
    throw new OnnxImportException(what + ": bias has shape " + Arrays.toString(c.shape()) + ", expected [" + out
        + "]");
  }

  private static float[] transpose2d(float[] a, int rows, int cols) {
    float[] t = new float[a.length];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        t[j * rows + i] = a[i * cols + j];
      }
    }
    return t;
  }
}

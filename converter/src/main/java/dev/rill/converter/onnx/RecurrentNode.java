package dev.rill.converter.onnx;

import dev.rill.converter.onnx.proto.NodeProto;
import dev.rill.format.ModelBuilder;
import dev.rill.format.proto.Activation;
import dev.rill.format.proto.ActivationKind;
import dev.rill.format.proto.Direction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One ONNX LSTM, GRU or RNN node (opsets 7 to 22), parsed and checked: its attributes mapped to the Rill
 * schema and its weights folded to constants. ONNX and Rill share the gate order and the W/R/B/P layouts, so
 * the weights are copied as they are.
 *
 * @param node the ONNX node
 * @param op LSTM, GRU or RNN
 * @param direction FORWARD, REVERSE or BIDIRECTIONAL
 * @param hidden hidden size H
 * @param inputSize input size X (last dimension of W)
 * @param layout 0: X [T, N, X], Y [T, D, N, H]; 1: X [N, T, X], Y [N, T, D, H]
 * @param w [D, G*H, X]
 * @param r [D, G*H, H]
 * @param b [D, 2*G*H] or null for zeros
 * @param p [D, 3*H] or null (LSTM peepholes)
 * @param activations explicit per-direction functions, or empty for the defaults
 * @param clip the cell clip, or null
 * @param inputForget LSTM input_forget
 * @param linearBeforeReset GRU linear_before_reset
 * @param x name of input X
 * @param sequenceLens name of input sequence_lens, or ""
 * @param initialH name of input initial_h, or ""
 * @param initialC name of input initial_c, or ""
 * @param y name of output Y, or ""
 * @param yH name of output Y_h, or ""
 * @param yC name of output Y_c, or ""
 */
record RecurrentNode(
    NodeProto node, String op, Direction direction, int hidden, int inputSize, int layout, float[] w, float[] r,
    float[] b, float[] p, List<Activation> activations, Float clip, boolean inputForget, boolean linearBeforeReset,
    String x, String sequenceLens, String initialH, String initialC, String y, String yH, String yC) {

  static final Set<String> OPS = Set.of("LSTM", "GRU", "RNN");

  /** Input positions that carry weights: W, R, B and (LSTM) P. */
  static final int W = 1;
  static final int R = 2;
  static final int B = 3;
  static final int SEQUENCE_LENS = 4;
  static final int INITIAL_H = 5;
  static final int INITIAL_C = 6;
  static final int P = 7;

  private static final Set<String> COMMON_ATTRS = Set.of("activation_alpha", "activation_beta", "activations",
      "clip", "direction", "hidden_size", "layout");

  /** Number of gates G. */
  int gates() {
    return gates(op);
  }

  static int gates(String op) {
    return switch (op) {
      case "LSTM" -> 4;
      case "GRU" -> 3;
      default -> 1;
    };
  }

  /** Number of directions D. */
  int directions() {
    return direction == Direction.BIDIRECTIONAL ? 2 : 1;
  }

  /** Activation functions per direction (f, g[, h]). */
  static int functionsPerDirection(String op) {
    return switch (op) {
      case "LSTM" -> 3;
      case "GRU" -> 2;
      default -> 1;
    };
  }

  /** True for the weight inputs (W, R, B, P) of an op, by input position. */
  static boolean isWeightInput(String op, int position) {
    return position == W || position == R || position == B || (op.equals("LSTM") && position == P);
  }

  /** Parses and checks {@code node}, folding its weights in {@code scope}. */
  static RecurrentNode parse(NodeProto node, GraphScope scope, ConstantFolder folder) throws OnnxImportException {
    String op = node.getOpType();
    String what = NodeAttributes.describe(node);
    if (!OPS.contains(op)) {
      throw new OnnxImportException(what + " is not an LSTM, GRU or RNN node");
    }
    NodeAttributes attrs = new NodeAttributes(node);
    java.util.HashSet<String> allowed = new java.util.HashSet<>(COMMON_ATTRS);
    if (op.equals("LSTM")) {
      allowed.add("input_forget");
      allowed.add("output_sequence"); // opset 1 only; Y is always available, so it changes nothing
    } else if (op.equals("GRU")) {
      allowed.add("linear_before_reset");
      allowed.add("output_sequence");
    } else {
      allowed.add("output_sequence");
    }
    attrs.requireOnly(allowed);

    String dirName = attrs.getString("direction", "forward");
    Direction direction = switch (dirName) {
      case "forward" -> Direction.FORWARD;
      case "reverse" -> Direction.REVERSE;
      case "bidirectional" -> Direction.BIDIRECTIONAL;
      default -> throw new OnnxImportException(what + ": direction '" + dirName
          + "' is not forward, reverse or bidirectional");
    };
    int d = direction == Direction.BIDIRECTIONAL ? 2 : 1;
    long layout = attrs.getInt("layout", 0);
    if (layout != 0 && layout != 1) {
      throw new OnnxImportException(what + ": layout " + layout + " is not 0 or 1");
    }
    int g = gates(op);

    String xName = input(node, 0);
    if (xName.isEmpty()) {
      throw new OnnxImportException(what + ": input X is missing");
    }
    ConstTensor wT = folder.fold(required(node, W, "W", what), scope, what + ": input W");
    ConstTensor rT = folder.fold(required(node, R, "R", what), scope, what + ": input R");
    requireRank(wT, 3, "W", what);
    requireRank(rT, 3, "R", what);
    long hiddenAttr = attrs.getInt("hidden_size", -1);
    long hidden = hiddenAttr > 0 ? hiddenAttr : rT.dim(2);
    if (attrs.has("hidden_size") && hiddenAttr <= 0) {
      throw new OnnxImportException(what + ": hidden_size " + hiddenAttr + " is not positive");
    }
    if (hidden <= 0 || hidden > Integer.MAX_VALUE / 8) {
      throw new OnnxImportException(what + ": hidden size " + hidden + " is out of range");
    }
    long inputSize = wT.dim(2);
    requireShape(wT, "W", what, d, g * hidden, inputSize);
    requireShape(rT, "R", what, d, g * hidden, hidden);
    if (inputSize <= 0) {
      throw new OnnxImportException(what + ": W has input size 0");
    }
    float[] b = null;
    String bName = input(node, B);
    if (!bName.isEmpty()) {
      ConstTensor bT = folder.fold(bName, scope, what + ": input B");
      requireShape(bT, "B", what, d, 2L * g * hidden);
      b = bT.toFloatArray();
    }
    float[] p = null;
    if (op.equals("LSTM") && !input(node, P).isEmpty()) {
      ConstTensor pT = folder.fold(input(node, P), scope, what + ": input P");
      requireShape(pT, "P", what, d, 3 * hidden);
      p = pT.toFloatArray();
    }

    Float clip = null;
    if (attrs.has("clip")) {
      float c = attrs.getFloat("clip", 0f);
      if (!(c > 0f) || Float.isInfinite(c)) {
        throw new OnnxImportException(what + ": clip " + c + " is not a finite positive number");
      }
      clip = c;
    }
    boolean inputForget = false;
    if (op.equals("LSTM")) {
      long v = attrs.getInt("input_forget", 0);
      if (v != 0 && v != 1) {
        throw new OnnxImportException(what + ": input_forget " + v + " is not 0 or 1");
      }
      inputForget = v == 1;
    }
    boolean linearBeforeReset = false;
    if (op.equals("GRU")) {
      long v = attrs.getInt("linear_before_reset", 0);
      if (v != 0 && v != 1) {
        throw new OnnxImportException(what + ": linear_before_reset " + v + " is not 0 or 1");
      }
      linearBeforeReset = v == 1;
    }
    List<Activation> activations = activations(op, d, attrs, what);

    return new RecurrentNode(node, op, direction, (int) hidden, (int) inputSize, (int) layout,
        wT.toFloatArray(), rT.toFloatArray(), b, p, activations, clip, inputForget, linearBeforeReset, xName,
        input(node, SEQUENCE_LENS), input(node, INITIAL_H), op.equals("LSTM") ? input(node, INITIAL_C) : "",
        output(node, 0), output(node, 1), op.equals("LSTM") ? output(node, 2) : "");
  }

  /**
   * The activations attribute with its alpha/beta lists, mapped to Rill. The alpha and beta lists are consumed
   * in order by the functions that take a parameter (as ONNX Runtime does); a missing value is the ONNX default
   * of that function. A list for one direction of a bidirectional node applies to both. Returns an empty list
   * when the functions are exactly the operator's defaults.
   */
  static List<Activation> activations(String op, int directions, NodeAttributes attrs, String what)
      throws OnnxImportException {
    List<String> names = attrs.getStrings("activations");
    float[] alphas = attrs.getFloats("activation_alpha");
    float[] betas = attrs.getFloats("activation_beta");
    if (names == null) {
      if ((alphas != null && alphas.length > 0) || (betas != null && betas.length > 0)) {
        throw new OnnxImportException(what + ": activation_alpha/activation_beta given without activations");
      }
      return List.of();
    }
    int per = functionsPerDirection(op);
    if (names.size() != per * directions && !(directions == 2 && names.size() == per)) {
      throw new OnnxImportException(what + ": activations has " + names.size() + " entries " + names + ", expected "
          + per * directions + " (" + per + " per direction)");
    }
    List<Activation> out = new ArrayList<>();
    int ai = 0;
    int bi = 0;
    for (String name : names) {
      ActivationKind kind = activationKind(name, what);
      Activation defaults = ModelBuilder.activation(kind);
      float alpha = defaults.getAlpha();
      float beta = defaults.getBeta();
      if (takesAlpha(kind) && alphas != null && ai < alphas.length) {
        alpha = alphas[ai++];
      }
      if (takesBeta(kind) && betas != null && bi < betas.length) {
        beta = betas[bi++];
      }
      out.add(ModelBuilder.activation(kind, alpha, beta));
    }
    if (out.size() < per * directions) {
      out.addAll(List.copyOf(out));
    }
    List<Activation> defaults = new ArrayList<>();
    for (int dir = 0; dir < directions; dir++) {
      for (ActivationKind k : defaultKinds(op)) {
        defaults.add(ModelBuilder.activation(k));
      }
    }
    return out.equals(defaults) ? List.of() : List.copyOf(out);
  }

  private static List<ActivationKind> defaultKinds(String op) {
    return switch (op) {
      case "LSTM" -> List.of(ActivationKind.SIGMOID, ActivationKind.TANH, ActivationKind.TANH);
      case "GRU" -> List.of(ActivationKind.SIGMOID, ActivationKind.TANH);
      default -> List.of(ActivationKind.TANH);
    };
  }

  static ActivationKind activationKind(String name, String what) throws OnnxImportException {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "sigmoid" -> ActivationKind.SIGMOID;
      case "tanh" -> ActivationKind.TANH;
      case "relu" -> ActivationKind.RELU;
      case "hardsigmoid" -> ActivationKind.HARD_SIGMOID;
      case "leakyrelu" -> ActivationKind.LEAKY_RELU;
      case "thresholdedrelu" -> ActivationKind.THRESHOLDED_RELU;
      case "scaledtanh" -> ActivationKind.SCALED_TANH;
      case "affine" -> ActivationKind.AFFINE;
      case "elu" -> ActivationKind.ELU;
      case "softsign" -> ActivationKind.SOFTSIGN;
      case "softplus" -> ActivationKind.SOFTPLUS;
      default -> throw new OnnxImportException(what + ": unknown activation function '" + name + "'");
    };
  }

  private static boolean takesAlpha(ActivationKind k) {
    return switch (k) {
      case HARD_SIGMOID, LEAKY_RELU, THRESHOLDED_RELU, SCALED_TANH, AFFINE, ELU -> true;
      default -> false;
    };
  }

  private static boolean takesBeta(ActivationKind k) {
    return switch (k) {
      case HARD_SIGMOID, SCALED_TANH, AFFINE -> true;
      default -> false;
    };
  }

  /** Appends this node as a layer named {@code name} to {@code builder}. */
  void addTo(ModelBuilder builder, String name) {
    switch (op) {
      case "LSTM" -> {
        builder.lstm(name, direction, hidden, w, r, b);
        if (p != null) {
          builder.peepholes(p);
        }
        if (inputForget) {
          builder.inputForget(true);
        }
      }
      case "GRU" -> builder.gru(name, direction, hidden, w, r, b, linearBeforeReset);
      default -> builder.rnn(name, direction, hidden, w, r, b);
    }
    if (clip != null) {
      builder.clip(clip);
    }
    if (!activations.isEmpty()) {
      builder.activations(activations.toArray(Activation[]::new));
    }
  }

  static String input(NodeProto node, int i) {
    return i < node.getInputCount() ? node.getInput(i) : "";
  }

  static String output(NodeProto node, int i) {
    return i < node.getOutputCount() ? node.getOutput(i) : "";
  }

  private static String required(NodeProto node, int i, String role, String what) throws OnnxImportException {
    String name = input(node, i);
    if (name.isEmpty()) {
      throw new OnnxImportException(what + ": input " + role + " is missing");
    }
    return name;
  }

  private static void requireRank(ConstTensor t, int rank, String role, String what) throws OnnxImportException {
    if (t.rank() != rank) {
      throw new OnnxImportException(what + ": " + role + " has shape " + Arrays.toString(t.shape()) + ", expected rank "
          + rank);
    }
  }

  private static void requireShape(ConstTensor t, String role, String what, long... expected)
      throws OnnxImportException {
    if (!Arrays.equals(t.shape(), expected)) {
      throw new OnnxImportException(what + ": " + role + " has shape " + Arrays.toString(t.shape()) + ", expected "
          + Arrays.toString(expected));
    }
  }
}

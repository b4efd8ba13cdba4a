package dev.rill.converter.onnx.export;

import static dev.rill.converter.onnx.export.GraphBuilder.floatAttr;
import static dev.rill.converter.onnx.export.GraphBuilder.floatsAttr;
import static dev.rill.converter.onnx.export.GraphBuilder.intAttr;
import static dev.rill.converter.onnx.export.GraphBuilder.stringAttr;
import static dev.rill.converter.onnx.export.GraphBuilder.stringsAttr;

import dev.rill.converter.onnx.proto.AttributeProto;
import dev.rill.format.GateLayout;
import dev.rill.format.proto.Activation;
import dev.rill.format.proto.ActivationKind;
import dev.rill.format.proto.Layer;
import dev.rill.format.proto.Recurrent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Writes one recurrent layer as one ONNX LSTM, GRU or RNN node with its initializers. Rill's canonical layout
 * is ONNX's, so W, R, B and P are copied as they are (dequantised to float).
 *
 * <p>A MINIMAL_GRU has no ONNX operator. It is written as a GRU whose reset gate is saturated at exactly 1
 * (zero weights, a large recurrent bias) and whose update gate is the complement of Rill's:
 * ONNX computes {@code h' = (1 - z) h~ + z h} while the minimal GRU computes {@code h' = u c~ + (1 - u) h},
 * so {@code z = 1 - u = sigmoid(-a)} with the negated pre-activation {@code a} of {@code u}.
 */
final class RecurrentNodes {

  /** Pre-activation of the saturated reset gate: sigmoid(x) rounds to exactly 1f far below this. */
  static final float SATURATED = 1.0e6f;

  private RecurrentNodes() {}

  /** The tensors of one recurrent node, in ONNX layout and gate order. */
  private record Weights(String op, int gates, float[] w, float[] r, float[] b, List<Activation> activations) {}

  /**
   * Adds the node and returns its outputs [Y, Y_h(, Y_c)].
   *
   * @param tensors decodes a Rill tensor by name to floats
   * @param input the node's X [T, N, X]
   * @param sequenceLens the sequence_lens input, or "" for none
   * @param initialH the initial_h input, or "" for none
   * @param initialC the initial_c input (LSTM), or "" for none
   * @param stateNames names for Y_h (and Y_c), or empty to leave the states out
   */
  static List<String> add(GraphBuilder graph, Layer layer, Function<String, float[]> tensors, String input,
      String sequenceLens, String initialH, String initialC, List<String> stateNames)
      throws OnnxExportException {
    Recurrent rec = GateLayout.recurrent(layer);
    int d = GateLayout.directions(rec.getDirection());
    int h = rec.getHiddenSize();
    int x = rec.getInputSize();
    Weights weights = weights(layer, rec, d, h, x, tensors);
    int gh = weights.gates() * h;
    String prefix = "rill/" + layer.getName() + "/";
    String w = graph.floats(prefix + "W", weights.w(), d, gh, x);
    String r = graph.floats(prefix + "R", weights.r(), d, gh, h);
    String b = graph.floats(prefix + "B", weights.b(), d, 2L * gh);

    List<AttributeProto> attributes = new ArrayList<>();
    attributes.add(stringAttr("direction", rec.getDirection().name().toLowerCase(Locale.ROOT)));
    attributes.add(intAttr("hidden_size", h));
    if (rec.hasClip()) {
      attributes.add(floatAttr("clip", rec.getClip()));
    }
    activationAttributes(layer, weights.activations(), attributes);

    List<String> inputs = new ArrayList<>(List.of(input, w, r, b, sequenceLens, initialH));
    List<String> outputs = new ArrayList<>();
    outputs.add(prefix + "Y");
    outputs.addAll(stateNames);
    switch (layer.getKindCase()) {
      case LSTM -> {
        inputs.add(initialC);
        String p = layer.getLstm().getP();
        inputs.add(p.isEmpty() ? "" : graph.floats(prefix + "P", tensors.apply(p), d, 3L * h));
        if (layer.getLstm().getInputForget()) {
          attributes.add(intAttr("input_forget", 1));
        }
      }
      case GRU -> {
        if (layer.getGru().getLinearBeforeReset()) {
          attributes.add(intAttr("linear_before_reset", 1));
        }
      }
      default -> { }
    }
    // Trailing omitted optional inputs are dropped, as ONNX allows.
    while (inputs.get(inputs.size() - 1).isEmpty()) {
      inputs.remove(inputs.size() - 1);
    }
    return graph.node(weights.op(), inputs, outputs, attributes.toArray(AttributeProto[]::new));
  }

  private static Weights weights(Layer layer, Recurrent rec, int d, int h, int x,
      Function<String, float[]> tensors) throws OnnxExportException {
    int gates = GateLayout.gates(layer);
    float[] w = tensors.apply(rec.getW());
    float[] r = tensors.apply(rec.getR());
    float[] b = rec.getB().isEmpty() ? new float[d * 2 * gates * h] : tensors.apply(rec.getB());
    List<Activation> activations = rec.getActivations().getFunctionsList();
    return switch (layer.getKindCase()) {
      case LSTM -> new Weights("LSTM", gates, w, r, b, activations);
      case GRU -> new Weights("GRU", gates, w, r, b, activations);
      case RNN -> new Weights("RNN", gates, w, r, b, activations);
      case MINIMAL_GRU -> minimalGruAsGru(layer, rec, d, h, x, w, r, b);
      default -> throw new IllegalArgumentException("not a recurrent layer: " + layer.getName());
    };
  }

  /** Rewrites minimal-GRU weights (gates u, c) as GRU weights (gates z, r, h); see the class comment. */
  private static Weights minimalGruAsGru(Layer layer, Recurrent rec, int d, int h, int x, float[] w, float[] r,
      float[] b) throws OnnxExportException {
    if (rec.hasClip()) {
      throw new OnnxExportException("layer '" + layer.getName() + "': a minimal GRU with clip cannot be"
          + " exported: ONNX has no minimal GRU, and the GRU it is written as would clip its saturated reset gate");
    }
    List<Activation> given = rec.getActivations().getFunctionsList();
    List<Activation> activations = new ArrayList<>();
    for (int dir = 0; dir < d; dir++) {
      List<Activation> fg = GateLayout.activations(layer, dir);
      activations.add(complementOf(layer, fg.get(0)));
      activations.add(fg.get(1));
    }
    if (given.isEmpty()) {
      activations = List.of();
    }
    int hh = h * h;
    int hx = h * x;
    float[] gw = new float[d * 3 * hx];
    float[] gr = new float[d * 3 * hh];
    float[] gb = new float[d * 6 * h];
    for (int dir = 0; dir < d; dir++) {
      // Gate blocks: minimal GRU [u, c], GRU [z, r, h]; z = -u, r = 0 (saturated by its bias), h = c.
      negate(w, dir * 2 * hx, gw, dir * 3 * hx, hx);
      System.arraycopy(w, dir * 2 * hx + hx, gw, dir * 3 * hx + 2 * hx, hx);
      negate(r, dir * 2 * hh, gr, dir * 3 * hh, hh);
      System.arraycopy(r, dir * 2 * hh + hh, gr, dir * 3 * hh + 2 * hh, hh);
      int src = dir * 4 * h;
      int dst = dir * 6 * h;
      negate(b, src, gb, dst, h);                       // Wb_z = -Wb_u
      System.arraycopy(b, src + h, gb, dst + 2 * h, h); // Wb_h = Wb_c
      negate(b, src + 2 * h, gb, dst + 3 * h, h);       // Rb_z = -Rb_u
      Arrays.fill(gb, dst + 4 * h, dst + 5 * h, SATURATED); // Rb_r
      System.arraycopy(b, src + 3 * h, gb, dst + 5 * h, h); // Rb_h = Rb_c
    }
    return new Weights("GRU", 3, gw, gr, gb, activations);
  }

  /** The activation f' with f'(-a) = 1 - f(a) that also saturates at 1 for {@link #SATURATED}. */
  private static Activation complementOf(Layer layer, Activation f) throws OnnxExportException {
    return switch (f.getKind()) {
      case SIGMOID -> f;
      case HARD_SIGMOID -> {
        // 1 - clamp(alpha a + beta) = clamp(alpha (-a) + 1 - beta)
        if (!(f.getAlpha() > 0f && f.getAlpha() * SATURATED >= f.getBeta())) {
          throw new OnnxExportException("layer '" + layer.getName() + "': a minimal GRU with HardSigmoid alpha "
              + f.getAlpha() + " cannot be exported (the GRU it is written as needs alpha > 0)");
        }
        yield Activation.newBuilder(f).setBeta(1f - f.getBeta()).build();
      }
      default -> throw new OnnxExportException("layer '" + layer.getName() + "': a minimal GRU whose update"
          + " gate uses " + f.getKind() + " cannot be exported (ONNX has no minimal GRU; the GRU it is written as"
          + " supports update activations SIGMOID and HARD_SIGMOID only)");
    };
  }

  private static void negate(float[] src, int from, float[] dst, int to, int count) {
    for (int i = 0; i < count; i++) {
      dst[to + i] = -src[from + i];
    }
  }

  /**
   * Adds activations, activation_alpha and activation_beta when the functions are not the defaults. alpha and
   * beta are listed only for the functions that take them, in order: that is how ONNX Runtime consumes them
   * (its ActivationFuncs), and it is unambiguous whatever the other functions are. They are always written
   * explicitly, because runtimes disagree on some defaults (ONNX Runtime uses 0 for Affine and ScaledTanh).
   */
  private static void activationAttributes(Layer layer, List<Activation> functions,
      List<AttributeProto> attributes) {
    if (functions.isEmpty() || isDefault(layer, functions)) {
      return;
    }
    List<String> names = new ArrayList<>();
    List<Float> alphas = new ArrayList<>();
    List<Float> betas = new ArrayList<>();
    for (Activation f : functions) {
      names.add(onnxName(f.getKind()));
      if (takesAlpha(f.getKind())) {
        alphas.add(f.getAlpha());
      }
      if (takesBeta(f.getKind())) {
        betas.add(f.getBeta());
      }
    }
    attributes.add(stringsAttr("activations", names));
    if (!alphas.isEmpty()) {
      attributes.add(floatsAttr("activation_alpha", alphas));
    }
    if (!betas.isEmpty()) {
      attributes.add(floatsAttr("activation_beta", betas));
    }
  }

  private static boolean isDefault(Layer layer, List<Activation> functions) {
    int perDirection = GateLayout.activationsPerDirection(layer);
    for (int i = 0; i < functions.size(); i++) {
      ActivationKind expected = i % perDirection == 0 && perDirection > 1 ? ActivationKind.SIGMOID
          : ActivationKind.TANH;
      if (functions.get(i).getKind() != expected) {
        return false;
      }
    }
    return true;
  }

  static String onnxName(ActivationKind kind) {
    return switch (kind) {
      case SIGMOID -> "Sigmoid";
      case TANH -> "Tanh";
      case RELU -> "Relu";
      case HARD_SIGMOID -> "HardSigmoid";
      case LEAKY_RELU -> "LeakyRelu";
      case THRESHOLDED_RELU -> "ThresholdedRelu";
      case SCALED_TANH -> "ScaledTanh";
      case AFFINE -> "Affine";
      case ELU -> "Elu";
      case SOFTSIGN -> "Softsign";
      case SOFTPLUS -> "Softplus";
      default -> throw new IllegalArgumentException("no ONNX activation for " + kind);
    };
  }

  private static boolean takesAlpha(ActivationKind kind) {
    return switch (kind) {
      case HARD_SIGMOID, LEAKY_RELU, THRESHOLDED_RELU, SCALED_TANH, AFFINE, ELU -> true;
      default -> false;
    };
  }

  private static boolean takesBeta(ActivationKind kind) {
    return switch (kind) {
      case HARD_SIGMOID, SCALED_TANH, AFFINE -> true;
      default -> false;
    };
  }
}

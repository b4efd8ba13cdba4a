package dev.rill.runtime.internal.layer;

import dev.rill.format.GateLayout;
import dev.rill.format.Tensors;
import dev.rill.format.proto.Activation;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.Recurrent;
import dev.rill.format.proto.RillModel;
import dev.rill.format.proto.Tensor;
import dev.rill.runtime.internal.kernel.ActivationFunction;
import dev.rill.runtime.internal.kernel.CellKernel;
import dev.rill.runtime.internal.kernel.CellKind;
import dev.rill.runtime.internal.kernel.CellSpec;
import dev.rill.runtime.internal.kernel.Kernels;
import dev.rill.runtime.internal.kernel.OffHeap;
import dev.rill.runtime.internal.kernel.WeightPrecision;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A validated {@link RillModel} turned into prepared layers: the input (a vector or an
 * {@link EmbeddingLayer}), then the recurrent and dense layers in order. The weights are decoded from
 * their canonical layout into one {@link CellSpec} per direction and handed to the kernels, which pack
 * them into the given arena. Immutable and thread-safe; it lives as long as the arena.
 *
 * @param inputSize floats per step of the first compute layer's input (the embedding dim for token models)
 * @param embedding the token input, or {@code null} for a vector model
 * @param layers the recurrent and dense layers in order
 */
public record ModelPlan(int inputSize, EmbeddingLayer embedding, List<Layer> layers) {

  public ModelPlan {
    layers = List.copyOf(layers);
  }

  /**
   * Decodes {@code model} (already validated by the format module) and prepares its layers with
   * {@code kernels}, allocating every weight in {@code arena}.
   */
  public static ModelPlan build(RillModel model, WeightPrecision precision, Kernels kernels, Arena arena) {
    Map<String, Tensor> tensors = new HashMap<>();
    for (Tensor t : model.getTensorsList()) {
      tensors.put(t.getName(), t);
    }
    int inputSize = -1;
    EmbeddingLayer embedding = null;
    List<Layer> layers = new ArrayList<>();
    for (dev.rill.format.proto.Layer layer : model.getLayersList()) {
      String name = layer.getName();
      switch (layer.getKindCase()) {
        case INPUT -> inputSize = layer.getInput().getSize();
        case EMBEDDING -> {
          var e = layer.getEmbedding();
          float[] table = floats(tensors, name, e.getWeight());
          embedding = new EmbeddingLayer(name, e.getVocabSize(), e.getDim(), OffHeap.copyOf(arena, table));
          inputSize = e.getDim();
        }
        case LSTM, GRU, MINIMAL_GRU, RNN -> layers.add(recurrent(layer, tensors, precision, kernels, arena));
        case DENSE -> {
          var d = layer.getDense();
          float[] weight = floats(tensors, name, d.getWeight());
          float[] bias = d.getBias().isEmpty() ? new float[d.getOutputSize()] : floats(tensors, name, d.getBias());
          layers.add(new DenseLayer(name, kernels.prepareDense(weight, bias, d.getOutputSize(), d.getInputSize(),
              precision, arena), d.getActivation()));
        }
        default -> throw new IllegalArgumentException("layer '" + name + "' has no kind");
      }
    }
    if (inputSize < 0) {
      throw new IllegalArgumentException("the model has no input or embedding layer");
    }
    return new ModelPlan(inputSize, embedding, layers);
  }

  /**
   * The bytes that {@link #build} will allocate for the weights of {@code model} at {@code precision}, from
   * the layers' shapes alone (nothing is decoded): per layer, its weight matrices at the precision's element
   * size plus its float32 biases, peepholes, int8 row scales and embedding table. Layers that reference the
   * same tensors count once each, because each packs its own copy. The kernels' padding of the last block of
   * rows is not counted. Saturates at {@code Long.MAX_VALUE}.
   */
  public static long preparedBytes(RillModel model, WeightPrecision precision) {
    long elementBytes = switch (precision) {
      case FP32 -> 4;
      case BF16 -> 2;
      case INT8 -> 1;
    };
    long scaleBytes = precision == WeightPrecision.INT8 ? Float.BYTES : 0;
    long total = 0;
    try {
      for (dev.rill.format.proto.Layer layer : model.getLayersList()) {
        long bytes = 0;
        switch (layer.getKindCase()) {
          case EMBEDDING -> bytes = Math.multiplyExact(
              Math.multiplyExact((long) layer.getEmbedding().getVocabSize(), layer.getEmbedding().getDim()),
              (long) Float.BYTES);
          case DENSE -> {
            var d = layer.getDense();
            long out = d.getOutputSize();
            long matrix = Math.multiplyExact(out, (long) d.getInputSize());
            bytes = Math.addExact(Math.multiplyExact(matrix, elementBytes), out * (Float.BYTES + scaleBytes));
          }
          case LSTM, GRU, MINIMAL_GRU, RNN -> {
            Recurrent rec = GateLayout.recurrent(layer);
            long directions = GateLayout.directions(rec.getDirection());
            long h = rec.getHiddenSize();
            long rows = Math.multiplyExact(directions, GateLayout.gates(layer) * h);
            long matrices = Math.multiplyExact(rows, Math.addExact((long) rec.getInputSize(), h));
            // Two biases per row, and int8 scales for the rows of W and of R; peepholes are 3 per unit.
            long perRow = 2L * Float.BYTES + 2 * scaleBytes;
            bytes = Math.addExact(Math.multiplyExact(matrices, elementBytes), rows * perRow);
            if (layer.hasLstm() && !layer.getLstm().getP().isEmpty()) {
              bytes = Math.addExact(bytes, directions * 3 * h * Float.BYTES);
            }
          }
          default -> { }
        }
        total = Math.addExact(total, bytes);
      }
    } catch (ArithmeticException overflow) {
      return Long.MAX_VALUE;
    }
    return total;
  }

  /** The recurrent layers in order; their index is the layer index of {@code State}. */
  public List<RecurrentLayer> recurrentLayers() {
    List<RecurrentLayer> out = new ArrayList<>();
    for (Layer layer : layers) {
      if (layer instanceof RecurrentLayer r) {
        out.add(r);
      }
    }
    return out;
  }

  /** Floats per stream of the last layer's output. */
  public int outputSize() {
    return layers.isEmpty() ? inputSize : layers.getLast().outputSize();
  }

  private static RecurrentLayer recurrent(dev.rill.format.proto.Layer layer, Map<String, Tensor> tensors,
      WeightPrecision precision, Kernels kernels, Arena arena) {
    String name = layer.getName();
    CellKind kind = switch (layer.getKindCase()) {
      case LSTM -> CellKind.LSTM;
      case GRU -> CellKind.GRU;
      case MINIMAL_GRU -> CellKind.MINIMAL_GRU;
      default -> CellKind.RNN;
    };
    Recurrent rec = GateLayout.recurrent(layer);
    int directions = GateLayout.directions(rec.getDirection());
    int x = rec.getInputSize();
    int h = rec.getHiddenSize();
    int gh = kind.gates() * h;
    float[] w = floats(tensors, name, rec.getW());
    float[] r = floats(tensors, name, rec.getR());
    float[] b = rec.getB().isEmpty() ? new float[directions * 2 * gh] : floats(tensors, name, rec.getB());
    boolean lstm = layer.hasLstm();
    float[] peepholes = lstm && !layer.getLstm().getP().isEmpty() ? floats(tensors, name, layer.getLstm().getP())
        : null;
    List<CellKernel> cells = new ArrayList<>();
    for (int d = 0; d < directions; d++) {
      CellSpec spec = new CellSpec(kind, x, h,
          slice(w, d, gh * x),
          slice(r, d, gh * h),
          Arrays.copyOfRange(b, d * 2 * gh, d * 2 * gh + gh),
          Arrays.copyOfRange(b, d * 2 * gh + gh, (d + 1) * 2 * gh),
          peepholes == null ? null : slice(peepholes, d, 3 * h),
          activations(layer, d),
          rec.hasClip() ? rec.getClip() : Float.NaN,
          lstm && layer.getLstm().getInputForget(),
          layer.hasGru() && layer.getGru().getLinearBeforeReset());
      cells.add(kernels.prepareCell(spec, precision, arena));
    }
    return new RecurrentLayer(name, kind, rec.getDirection() == Direction.REVERSE, cells);
  }

  /** The f, g[, h] functions of direction {@code d}, ONNX defaults filled in by {@link GateLayout}. */
  private static List<ActivationFunction> activations(dev.rill.format.proto.Layer layer, int d) {
    List<ActivationFunction> out = new ArrayList<>();
    for (Activation a : GateLayout.activations(layer, d)) {
      out.add(new ActivationFunction(kind(a), a.getAlpha(), a.getBeta()));
    }
    return out;
  }

  private static ActivationFunction.Kind kind(Activation a) {
    return switch (a.getKind()) {
      case SIGMOID -> ActivationFunction.Kind.SIGMOID;
      case TANH -> ActivationFunction.Kind.TANH;
      case RELU -> ActivationFunction.Kind.RELU;
      case HARD_SIGMOID -> ActivationFunction.Kind.HARD_SIGMOID;
      case LEAKY_RELU -> ActivationFunction.Kind.LEAKY_RELU;
      case THRESHOLDED_RELU -> ActivationFunction.Kind.THRESHOLDED_RELU;
      case SCALED_TANH -> ActivationFunction.Kind.SCALED_TANH;
      case AFFINE -> ActivationFunction.Kind.AFFINE;
      case ELU -> ActivationFunction.Kind.ELU;
      case SOFTSIGN -> ActivationFunction.Kind.SOFTSIGN;
      case SOFTPLUS -> ActivationFunction.Kind.SOFTPLUS;
      default -> throw new IllegalArgumentException("unknown activation " + a.getKind());
    };
  }

  private static float[] slice(float[] all, int index, int length) {
    return Arrays.copyOfRange(all, index * length, (index + 1) * length);
  }

  private static float[] floats(Map<String, Tensor> tensors, String layer, String tensorName) {
    Tensor t = tensors.get(tensorName);
    if (t == null) {
      throw new IllegalArgumentException("layer '" + layer + "' references a missing tensor '" + tensorName + "'");
    }
    return Tensors.toFloats(t);
  }
}

package dev.rill.format;

import dev.rill.format.proto.Activation;
import dev.rill.format.proto.ActivationKind;
import dev.rill.format.proto.DataType;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.InputKind;
import dev.rill.format.proto.IoSpec;
import dev.rill.format.proto.Layer;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.Recurrent;
import dev.rill.format.proto.RillModel;
import dev.rill.format.proto.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Checks that a {@link RillModel} is complete and consistent: a supported version; tensors within the limits,
 * with byte lengths that match shape and data type and correct checksums; layers that start with one input or
 * embedding layer, whose sizes chain and whose referenced tensors exist with the shapes of {@link GateLayout};
 * known enum values; a vocabulary and an {@link IoSpec} that agree with the layers.
 *
 * <p>A model that passes can be decoded with {@link Tensors#toFloats} and run without further checks.
 */
public final class ModelValidator {
  private ModelValidator() {}

  /**
   * Validates a model within the default limits.
   *
   * @param model the model
   * @throws ModelFormatException naming the first defect found
   */
  public static void validate(RillModel model) throws ModelFormatException {
    validate(model, ReaderLimits.DEFAULT);
  }

  /**
   * Validates a model.
   *
   * @param model the model
   * @param limits the size caps to enforce
   * @throws ModelFormatException naming the first defect found
   */
  public static void validate(RillModel model, ReaderLimits limits) throws ModelFormatException {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(limits, "limits");
    checkVersion(model);
    Map<String, Tensor> tensors = checkTensors(model, limits);
    checkLayers(model, tensors, limits);
    checkVocabulary(model);
    checkIo(model);
  }

  private static void checkVersion(RillModel model) throws ModelFormatException {
    if (!model.hasVersion()) {
      throw new ModelFormatException("version: missing; every Rill model file states its format version");
    }
    long major = Integer.toUnsignedLong(model.getVersion().getMajor());
    long minor = Integer.toUnsignedLong(model.getVersion().getMinor());
    if (major == 0) {
      throw new ModelFormatException("version: major version is 0; the first format version is 1.0");
    }
    if (major > ModelFormat.MAJOR_VERSION) {
      throw new ModelFormatException("file format version " + major + "." + minor
          + " is newer than this reader supports (" + ModelFormat.MAJOR_VERSION + ".x); upgrade Rill");
    }
  }

  // ---------------------------------------------------------------------------------------------- tensors

  private static Map<String, Tensor> checkTensors(RillModel model, ReaderLimits limits)
      throws ModelFormatException {
    int count = model.getTensorsCount();
    if (count > limits.maxTensors()) {
      throw new ModelFormatException("tensors: the model has " + count + " tensors, over the limit of "
          + limits.maxTensors() + " (ReaderLimits.maxTensors)");
    }
    Map<String, Tensor> byName = new HashMap<>();
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < count; i++) {
      Tensor t = model.getTensors(i);
      if (t.getName().isEmpty()) {
        throw new ModelFormatException("tensor #" + i + ": name is empty");
      }
      Integer earlier = index.putIfAbsent(t.getName(), i);
      if (earlier != null) {
        throw new ModelFormatException("tensor '" + t.getName() + "': the name is used twice (tensors #" + earlier
            + " and #" + i + "); tensor names must be unique");
      }
      checkTensor(t, limits);
      byName.put(t.getName(), t);
    }
    return byName;
  }

  private static void checkTensor(Tensor t, ReaderLimits limits) throws ModelFormatException {
    String where = "tensor '" + t.getName() + "'";
    DataType dtype = DataType.forNumber(t.getDtypeValue());
    if (dtype == null) {
      throw new ModelFormatException(where + ": unknown dtype value " + t.getDtypeValue()
          + " (known: FLOAT32=1, BFLOAT16=2, INT8=3)");
    }
    if (dtype == DataType.DATA_TYPE_UNSPECIFIED) {
      throw new ModelFormatException(where + ": dtype is not set");
    }
    int rank = t.getShapeCount();
    if (rank > limits.maxRank()) {
      throw new ModelFormatException(where + ": rank " + rank + " is over the limit of " + limits.maxRank()
          + " (ReaderLimits.maxRank)");
    }
    String shape = Tensors.shapeString(t.getShapeList());
    long elements = Tensors.elementCount(t);
    if (elements < 0) {
      throw new ModelFormatException(where + ": shape " + shape
          + " has too many elements (the product overflows 63 bits)");
    }
    if (elements > limits.maxTensorElements()) {
      throw new ModelFormatException(where + ": shape " + shape + " has " + elements
          + " elements, over the limit of " + limits.maxTensorElements() + " (ReaderLimits.maxTensorElements)");
    }
    long expectedBytes = elements * Tensors.elementBytes(dtype);
    if (t.getData().size() != expectedBytes) {
      throw new ModelFormatException(where + ": data is " + t.getData().size() + " bytes, but shape " + shape
          + " of " + dtype + " needs " + expectedBytes + " bytes");
    }
    if (dtype == DataType.INT8) {
      checkRowScales(t, where, shape, limits);
    } else if (!t.getRowScales().isEmpty()) {
      throw new ModelFormatException(where + ": has row_scales, but only INT8 tensors have row scales (dtype is "
          + dtype + ")");
    }
    int crc = Tensors.crc32c(t);
    if (crc != t.getCrc32C()) {
      throw new ModelFormatException(String.format(
          "%s: checksum mismatch (stored CRC32C 0x%08x, computed 0x%08x); the data is corrupt",
          where, t.getCrc32C(), crc));
    }
  }

  private static void checkRowScales(Tensor t, String where, String shape, ReaderLimits limits)
      throws ModelFormatException {
    long rows = Tensors.rowCount(t);
    // With a last dimension of 0 the row count is not bounded by the element count.
    if (rows < 0 || rows > limits.maxTensorElements()) {
      throw new ModelFormatException(where + ": shape " + shape + " has " + (rows < 0 ? "too many" : rows)
          + " rows, over the limit of "
          + limits.maxTensorElements() + " (ReaderLimits.maxTensorElements)");
    }
    if (t.getRowScales().size() != rows * 4) {
      throw new ModelFormatException(where + ": row_scales is " + t.getRowScales().size() + " bytes, but INT8 shape "
          + shape + " has " + rows + " rows and needs " + rows * 4 + " bytes (one float32 per row)");
    }
    ByteBuffer scales = t.getRowScales().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    for (int row = 0; row < rows; row++) {
      float s = scales.getFloat();
      if (!Float.isFinite(s) || s < 0f) {
        throw new ModelFormatException(where + ": row_scales[" + row + "] is " + s
            + "; INT8 row scales must be finite and non-negative");
      }
    }
  }

  // ----------------------------------------------------------------------------------------------- layers

  private static void checkLayers(RillModel model, Map<String, Tensor> tensors, ReaderLimits limits)
      throws ModelFormatException {
    int count = model.getLayersCount();
    if (count == 0) {
      throw new ModelFormatException("layers: the model has no layers; it needs an input or embedding layer "
          + "followed by at least one more layer");
    }
    if (count > limits.maxLayers()) {
      throw new ModelFormatException("layers: the model has " + count + " layers, over the limit of "
          + limits.maxLayers() + " (ReaderLimits.maxLayers)");
    }
    Map<String, Integer> index = new HashMap<>();
    String previous = null;
    long width = 0;
    for (int i = 0; i < count; i++) {
      Layer layer = model.getLayers(i);
      String where = describe(layer, i);
      if (layer.getName().isEmpty()) {
        throw new ModelFormatException(where + ": name is empty");
      }
      Integer earlier = index.putIfAbsent(layer.getName(), i);
      if (earlier != null) {
        throw new ModelFormatException(where + ": the name is used twice (layers #" + earlier + " and #" + i
            + "); layer names must be unique");
      }
      if (layer.getKindCase() == Layer.KindCase.KIND_NOT_SET) {
        throw new ModelFormatException(where + ": no layer kind is set (a layer type unknown to this reader?)");
      }
      boolean first = layer.hasInput() || layer.hasEmbedding();
      if (i == 0 && !first) {
        throw new ModelFormatException(where + ": the first layer must be an input or embedding layer");
      }
      if (i > 0 && first) {
        throw new ModelFormatException(where + ": only the first layer may be an input or embedding layer");
      }
      Check c = new Check(where, tensors, limits);
      long input = switch (layer.getKindCase()) {
        case INPUT -> {
          c.size("size", layer.getInput().getSize());
          yield 0;
        }
        case EMBEDDING -> {
          var e = layer.getEmbedding();
          long vocab = c.size("vocab_size", e.getVocabSize());
          long dim = c.size("dim", e.getDim());
          c.tensor("weight", e.getWeight(), true, vocab, dim);
          yield 0;
        }
        case LSTM, GRU, MINIMAL_GRU, RNN -> checkRecurrent(layer, c);
        case DENSE -> {
          var d = layer.getDense();
          long in = c.size("input_size", d.getInputSize());
          long out = c.size("output_size", d.getOutputSize());
          c.tensor("weight", d.getWeight(), true, out, in);
          c.tensor("bias", d.getBias(), false, out);
          c.knownEnum("activation", d.getActivationValue(), OutputActivation.forNumber(d.getActivationValue()),
              false);
          yield in;
        }
        case KIND_NOT_SET -> throw new AssertionError("checked above");
      };
      if (i > 0 && input != width) {
        throw new ModelFormatException(where + ": input_size is " + input + ", but the previous " + previous
            + " produces " + width + " values per step");
      }
      width = GateLayout.outputSize(layer);
      previous = where;
    }
    if (count == 1) {
      throw new ModelFormatException("layers: the model has only its " + previous
          + "; it needs at least one layer after it");
    }
  }

  private static long checkRecurrent(Layer layer, Check c) throws ModelFormatException {
    boolean has = switch (layer.getKindCase()) {
      case LSTM -> layer.getLstm().hasRecurrent();
      case GRU -> layer.getGru().hasRecurrent();
      case MINIMAL_GRU -> layer.getMinimalGru().hasRecurrent();
      default -> layer.getRnn().hasRecurrent();
    };
    if (!has) {
      throw new ModelFormatException(c.where + ": recurrent: missing (direction, sizes and weights)");
    }
    Recurrent rec = GateLayout.recurrent(layer);
    c.knownEnum("recurrent.direction", rec.getDirectionValue(), Direction.forNumber(rec.getDirectionValue()), true);
    long x = c.size("recurrent.input_size", rec.getInputSize());
    c.size("recurrent.hidden_size", rec.getHiddenSize());
    c.tensor("recurrent.w", rec.getW(), true, GateLayout.wShape(layer));
    c.tensor("recurrent.r", rec.getR(), true, GateLayout.rShape(layer));
    c.tensor("recurrent.b", rec.getB(), false, GateLayout.bShape(layer));
    if (layer.hasLstm()) {
      c.tensor("p", layer.getLstm().getP(), false, GateLayout.pShape(layer));
    }
    checkActivations(layer, rec, c.where);
    if (rec.hasClip() && !(Float.isFinite(rec.getClip()) && rec.getClip() > 0f)) {
      throw new ModelFormatException(c.where + ": recurrent.clip is " + rec.getClip()
          + "; it must be finite and greater than 0 (leave it unset for no clipping)");
    }
    return x;
  }

  private static void checkActivations(Layer layer, Recurrent rec, String where) throws ModelFormatException {
    List<Activation> functions = rec.getActivations().getFunctionsList();
    int perDirection = GateLayout.activationsPerDirection(layer);
    int expected = perDirection * GateLayout.directions(rec.getDirection());
    if (!functions.isEmpty() && functions.size() != expected) {
      throw new ModelFormatException(where + ": recurrent.activations has " + functions.size()
          + " functions, expected 0 (the defaults) or " + expected + " (" + perDirection + " per direction)");
    }
    for (int i = 0; i < functions.size(); i++) {
      Activation a = functions.get(i);
      String field = "recurrent.activations[" + i + "]";
      ActivationKind kind = ActivationKind.forNumber(a.getKindValue());
      if (kind == null) {
        throw new ModelFormatException(where + ": " + field + ".kind has unknown value " + a.getKindValue());
      }
      if (kind == ActivationKind.ACTIVATION_UNSPECIFIED) {
        throw new ModelFormatException(where + ": " + field + ".kind is not set");
      }
      if (!Float.isFinite(a.getAlpha()) || !Float.isFinite(a.getBeta())) {
        throw new ModelFormatException(where + ": " + field + " (" + kind + ") has alpha " + a.getAlpha()
            + " and beta " + a.getBeta() + "; both must be finite");
      }
    }
  }

  /** Field checks of one layer, each failing with the layer named. */
  private record Check(String where, Map<String, Tensor> tensors, ReaderLimits limits) {
    long size(String field, int value) throws ModelFormatException {
      long v = Integer.toUnsignedLong(value);
      if (v == 0) {
        throw new ModelFormatException(where + ": " + field + " is 0; it must be at least 1");
      }
      if (v > limits.maxLayerSize()) {
        throw new ModelFormatException(where + ": " + field + " is " + v + ", over the limit of "
            + limits.maxLayerSize() + " (ReaderLimits.maxLayerSize)");
      }
      return v;
    }

    void knownEnum(String field, int value, Enum<?> known, boolean unspecifiedIsInvalid)
        throws ModelFormatException {
      if (known == null) {
        throw new ModelFormatException(where + ": " + field + " has unknown value " + value
            + " (from a newer producer?)");
      }
      if (unspecifiedIsInvalid && value == 0) {
        throw new ModelFormatException(where + ": " + field + " is not set (" + known + ")");
      }
    }

    void tensor(String field, String name, boolean required, long... expected) throws ModelFormatException {
      if (name.isEmpty()) {
        if (required) {
          throw new ModelFormatException(where + ": " + field + " names no tensor; it is required");
        }
        return;
      }
      Tensor t = tensors.get(name);
      if (t == null) {
        throw new ModelFormatException(where + ": tensor '" + name + "' (" + field + ") does not exist");
      }
      long[] actual = t.getShapeList().stream().mapToLong(Long::longValue).toArray();
      if (!Arrays.equals(actual, expected)) {
        throw new ModelFormatException(where + ": tensor '" + name + "' has shape "
            + Tensors.shapeString(t.getShapeList()) + ", expected "
            + Tensors.shapeString(Arrays.stream(expected).boxed().toList()));
      }
    }
  }

  private static String describe(Layer layer, int i) {
    String name = layer.getName().isEmpty() ? "#" + i : "'" + layer.getName() + "'";
    return "layer " + name + " (" + GateLayout.kindName(layer) + ")";
  }

  // --------------------------------------------------------------------------------- vocabulary and io

  private static void checkVocabulary(RillModel model) throws ModelFormatException {
    Layer first = model.getLayers(0);
    int tokens = model.getVocabulary().getTokensCount();
    if (first.hasEmbedding()) {
      long vocab = Integer.toUnsignedLong(first.getEmbedding().getVocabSize());
      if (model.hasVocabulary() && tokens != vocab) {
        throw new ModelFormatException("vocabulary: has " + tokens + " tokens, but " + describe(first, 0)
            + " has vocab_size " + vocab);
      }
    } else if (tokens > 0) {
      throw new ModelFormatException("vocabulary: has " + tokens + " tokens, but the model takes vectors ("
          + describe(first, 0) + "); only token models have a vocabulary");
    }
  }

  private static void checkIo(RillModel model) throws ModelFormatException {
    if (!model.hasIo()) {
      throw new ModelFormatException("io: missing; a model describes what one step consumes and produces");
    }
    IoSpec io = model.getIo();
    InputKind kind = InputKind.forNumber(io.getInputKindValue());
    if (kind == null) {
      throw new ModelFormatException("io: input_kind has unknown value " + io.getInputKindValue());
    }
    if (kind == InputKind.INPUT_KIND_UNSPECIFIED) {
      throw new ModelFormatException("io: input_kind is not set (VECTOR or TOKEN)");
    }
    Layer first = model.getLayers(0);
    InputKind expectedKind = first.hasEmbedding() ? InputKind.TOKEN : InputKind.VECTOR;
    if (kind != expectedKind) {
      throw new ModelFormatException("io: input_kind is " + kind + ", but the first " + describe(first, 0)
          + " takes " + (first.hasEmbedding() ? "token ids" : "vectors") + " (expected " + expectedKind + ")");
    }
    long expectedIn = first.hasEmbedding()
        ? Integer.toUnsignedLong(first.getEmbedding().getVocabSize())
        : Integer.toUnsignedLong(first.getInput().getSize());
    if (Integer.toUnsignedLong(io.getInputSize()) != expectedIn) {
      throw new ModelFormatException("io: input_size is " + Integer.toUnsignedLong(io.getInputSize())
          + ", but the first " + describe(first, 0) + " takes "
          + (first.hasEmbedding() ? "a vocabulary of " + expectedIn + " tokens" : expectedIn + " values"));
    }
    int lastIndex = model.getLayersCount() - 1;
    Layer last = model.getLayers(lastIndex);
    long expectedOut = GateLayout.outputSize(last);
    if (Integer.toUnsignedLong(io.getOutputSize()) != expectedOut) {
      throw new ModelFormatException("io: output_size is " + Integer.toUnsignedLong(io.getOutputSize())
          + ", but the last " + describe(last, lastIndex) + " produces " + expectedOut + " values per step");
    }
  }
}

package dev.rill.runtime.testing;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.rill.format.GateLayout;
import dev.rill.format.Tensors;
import dev.rill.format.proto.ActivationKind;
import dev.rill.format.proto.DataType;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.GruLayer;
import dev.rill.format.proto.Layer;
import dev.rill.format.proto.LstmLayer;
import dev.rill.format.proto.MinimalGruLayer;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.Recurrent;
import dev.rill.format.proto.RillModel;
import dev.rill.format.proto.RnnLayer;
import dev.rill.format.proto.Tensor;
import dev.rill.runtime.testing.RandomModels.Options;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Small valid models of every layer kind, direction option and weight precision, the starting points of the
 * structure-aware fuzz target; and the protobuf-level mutations it applies to them.
 */
public final class FuzzModels {

  /** A named model: the name is its seed file's name. */
  public record Named(String name, RillModel model) {}

  private static final List<Named> ALL = build();

  private FuzzModels() {}

  /** Every starting model, in a fixed order (the fuzz input picks one by index). */
  public static List<Named> all() {
    return ALL;
  }

  private static List<Named> build() {
    List<Named> fp32 = List.of(
        new Named("lstm", new RandomModels(1).vectorInput(3).lstm(4, Direction.FORWARD).dense(2, OutputActivation.NONE)
            .build()),
        new Named("lstm_peepholes_clip_bidirectional", new RandomModels(2).vectorInput(3)
            .lstm(3, Direction.BIDIRECTIONAL, Options.DEFAULT.withPeepholes().withClip(2f).withInputForget()).build()),
        new Named("gru_reverse", new RandomModels(3).vectorInput(2)
            .gru(3, Direction.REVERSE, Options.DEFAULT.withLinearBeforeReset()).build()),
        new Named("gru_activations", new RandomModels(4).vectorInput(2).gru(3, Direction.FORWARD, Options.DEFAULT
            .withActivations(List.of(RandomModels.activation(ActivationKind.HARD_SIGMOID, 0.2f, 0.5f),
                RandomModels.activation(ActivationKind.TANH, 0, 0)))).build()),
        new Named("minimal_gru", new RandomModels(5).vectorInput(2).minimalGru(3, Direction.FORWARD, Options.DEFAULT)
            .dense(2, OutputActivation.OUTPUT_SIGMOID).build()),
        new Named("rnn_no_bias", new RandomModels(6).vectorInput(2).rnn(3, Direction.FORWARD, Options.DEFAULT.withoutBias())
            .build()),
        new Named("token_lstm_softmax", new RandomModels(7).tokenInput(5, 3).lstm(4, Direction.FORWARD)
            .dense(5, OutputActivation.SOFTMAX).build()),
        new Named("stacked_gru_rnn", new RandomModels(8).vectorInput(2).gru(3, Direction.FORWARD, Options.DEFAULT)
            .rnn(2, Direction.FORWARD, Options.DEFAULT).build()));
    List<Named> all = new ArrayList<>(fp32);
    for (DataType dtype : List.of(DataType.BFLOAT16, DataType.INT8)) {
      for (Named n : fp32) {
        all.add(new Named(n.name() + "_" + dtype.name().toLowerCase(java.util.Locale.ROOT), withMatrices(n.model(), dtype)));
      }
    }
    return List.copyOf(all);
  }

  /** The model with its weight matrices re-encoded in another precision (embeddings and biases stay float32). */
  private static RillModel withMatrices(RillModel model, DataType dtype) {
    Set<String> matrices = Set.copyOf(RandomModels.matrixTensorNames(model));
    RillModel.Builder b = model.toBuilder();
    for (int i = 0; i < b.getTensorsCount(); i++) {
      Tensor t = b.getTensors(i);
      if (matrices.contains(t.getName())) {
        long[] shape = t.getShapeList().stream().mapToLong(Long::longValue).toArray();
        b.setTensors(i, Tensors.encode(dtype, t.getName(), Tensors.toFloats(t), shape));
      }
    }
    return b.build();
  }

  /** Values that probe size arithmetic: zero, one, negatives, and the edges of int and long. */
  private static final long[] INTERESTING = {0, 1, 2, 3, 4, -1, 255, 256, 65_535, 65_536, 1L << 24, (1L << 24) + 1,
      Integer.MAX_VALUE, Integer.MAX_VALUE + 1L, 1L << 32, 0xFFFF_FFFFL, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 62};

  /**
   * Applies one mutation chosen by the input: a field anywhere in the model (a shape, a size, a name, an enum, a
   * float, tensor data) gets another value, or a repeated field (layers, tensors, dimensions) loses, gains or
   * duplicates an element.
   */
  public static void mutate(RillModel.Builder model, FuzzedDataProvider data) {
    switch (data.consumeInt(0, 9)) {
      case 0 -> {
        shareOneTensor(model, data);
        return;
      }
      case 1 -> {
        changeRecurrentKind(model, data);
        return;
      }
      default -> { } // a field anywhere, below
    }
    Message.Builder at = model;
    // Walk down a few levels of the message tree, as the input decides.
    for (int depth = 0; depth < 4; depth++) {
      List<FieldDescriptor> fields = at.getDescriptorForType().getFields();
      FieldDescriptor field = fields.get(data.consumeInt(0, fields.size() - 1));
      boolean descend = field.getJavaType() == FieldDescriptor.JavaType.MESSAGE && data.consumeBoolean();
      if (!descend) {
        mutateField(at, field, data, model);
        return;
      }
      if (field.isRepeated()) {
        int count = at.getRepeatedFieldCount(field);
        if (count == 0) {
          mutateField(at, field, data, model);
          return;
        }
        at = at.getRepeatedFieldBuilder(field, data.consumeInt(0, count - 1));
      } else {
        at = at.getFieldBuilder(field);
      }
    }
  }

  /** Many layers naming the same weights: each packs its own copy, which the load budget must count. */
  private static void shareOneTensor(RillModel.Builder model, FuzzedDataProvider data) {
    if (model.getLayersCount() < 2) {
      return;
    }
    int layer = data.consumeInt(1, model.getLayersCount() - 1);
    int copies = data.consumeInt(1, 2000);
    for (int i = 0; i < copies; i++) {
      model.addLayers(model.getLayers(layer).toBuilder().setName("copy" + i + "_" + model.getLayers(layer).getName()));
    }
  }

  /** A recurrent layer's weights under another cell kind: LSTM, GRU, minimal GRU and RNN differ in gate count. */
  private static void changeRecurrentKind(RillModel.Builder model, FuzzedDataProvider data) {
    if (model.getLayersCount() == 0) {
      return; // an earlier mutation removed them all
    }
    int index = data.consumeInt(0, model.getLayersCount() - 1);
    Layer layer = model.getLayers(index);
    if (!GateLayout.isRecurrent(layer)) {
      return;
    }
    Recurrent recurrent = GateLayout.recurrent(layer);
    Layer.Builder changed = layer.toBuilder();
    switch (data.consumeInt(0, 3)) {
      case 0 -> changed.setLstm(LstmLayer.newBuilder().setRecurrent(recurrent));
      case 1 -> changed.setGru(GruLayer.newBuilder().setRecurrent(recurrent).setLinearBeforeReset(data.consumeBoolean()));
      case 2 -> changed.setMinimalGru(MinimalGruLayer.newBuilder().setRecurrent(recurrent));
      default -> changed.setRnn(RnnLayer.newBuilder().setRecurrent(recurrent));
    }
    model.setLayers(index, changed);
  }

  private static void mutateField(Message.Builder b, FieldDescriptor field, FuzzedDataProvider data, RillModel.Builder root) {
    if (field.isRepeated()) {
      int count = b.getRepeatedFieldCount(field);
      switch (data.consumeInt(0, 3)) {
        case 0 -> b.clearField(field);
        case 1 -> { // remove one element
          if (count > 0) {
            List<Object> kept = new ArrayList<>();
            int drop = data.consumeInt(0, count - 1);
            for (int i = 0; i < count; i++) {
              if (i != drop) {
                kept.add(b.getRepeatedField(field, i));
              }
            }
            b.setField(field, kept);
          }
        }
        case 2 -> { // duplicate one element
          if (count > 0) {
            b.addRepeatedField(field, b.getRepeatedField(field, data.consumeInt(0, count - 1)));
          }
        }
        default -> { // set or add one element
          Object value = value(field, data, root, count > 0 ? b.getRepeatedField(field, 0) : null);
          if (value == null) {
            return;
          }
          if (count > 0 && data.consumeBoolean()) {
            b.setRepeatedField(field, data.consumeInt(0, count - 1), value);
          } else {
            b.addRepeatedField(field, value);
          }
        }
      }
      return;
    }
    if (data.consumeInt(0, 9) == 0) {
      b.clearField(field);
      return;
    }
    Object value = value(field, data, root, b.hasField(field) ? b.getField(field) : null);
    if (value != null) {
      b.setField(field, value);
    }
  }

  /** A new value for one field, or null to leave it (messages are only cleared or duplicated). */
  private static Object value(FieldDescriptor field, FuzzedDataProvider data, RillModel.Builder root, Object current) {
    return switch (field.getJavaType()) {
      case INT -> (int) interesting(data);
      case LONG -> interesting(data);
      case FLOAT -> switch (data.consumeInt(0, 3)) {
        case 0 -> Float.NaN;
        case 1 -> Float.POSITIVE_INFINITY;
        case 2 -> -0f;
        default -> data.consumeRegularFloat();
      };
      case DOUBLE -> data.consumeDouble();
      case BOOLEAN -> data.consumeBoolean();
      case STRING -> {
        // Mostly the name of another tensor or layer, so that references move rather than break.
        if (root.getTensorsCount() > 0 && data.consumeBoolean()) {
          yield root.getTensors(data.consumeInt(0, root.getTensorsCount() - 1)).getName();
        }
        yield data.consumeString(8);
      }
      case BYTE_STRING -> {
        ByteString bytes = current instanceof ByteString s ? s : ByteString.EMPTY;
        int length = data.consumeInt(0, Math.max(0, bytes.size() + 16));
        yield length <= bytes.size() ? bytes.substring(0, length)
            : bytes.concat(ByteString.copyFrom(new byte[length - bytes.size()]));
      }
      case ENUM -> {
        EnumDescriptor type = field.getEnumType();
        int number = data.consumeBoolean() ? type.getValues().get(data.consumeInt(0, type.getValues().size() - 1)).getNumber()
            : data.consumeInt(-2, 64);
        yield type.findValueByNumberCreatingIfUnknown(number);
      }
      case MESSAGE -> current;
    };
  }

  private static long interesting(FuzzedDataProvider data) {
    return data.consumeBoolean() ? INTERESTING[data.consumeInt(0, INTERESTING.length - 1)] : data.consumeLong(-4, 64);
  }
}

package dev.rill.cli;

import dev.rill.format.GateLayout;
import dev.rill.format.Tensors;
import dev.rill.format.proto.DataType;
import dev.rill.format.proto.InputKind;
import dev.rill.format.proto.Layer;
import dev.rill.format.proto.Recurrent;
import dev.rill.format.proto.RillModel;
import dev.rill.format.proto.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Facts about a model for {@code rill inspect} and the summary line of {@code rill convert}. */
final class ModelSummary {

  private ModelSummary() {}

  /** Total number of weight values over all tensors. */
  static long parameterCount(RillModel model) {
    return model.getTensorsList().stream().mapToLong(Tensors::elementCount).sum();
  }

  /** Number of weight values in the tensors a layer references. */
  static long parameterCount(RillModel model, Layer layer) {
    Map<String, Tensor> byName = tensorsByName(model);
    long n = 0;
    for (String name : tensorNames(layer)) {
      Tensor t = byName.get(name);
      n += t == null ? 0 : Tensors.elementCount(t);
    }
    return n;
  }

  /** The tensor names a layer references (empty names left out). */
  static List<String> tensorNames(Layer layer) {
    List<String> names = new ArrayList<>();
    switch (layer.getKindCase()) {
      case EMBEDDING -> names.add(layer.getEmbedding().getWeight());
      case DENSE -> {
        names.add(layer.getDense().getWeight());
        names.add(layer.getDense().getBias());
      }
      case LSTM, GRU, MINIMAL_GRU, RNN -> {
        Recurrent r = GateLayout.recurrent(layer);
        names.add(r.getW());
        names.add(r.getR());
        names.add(r.getB());
        if (layer.hasLstm()) {
          names.add(layer.getLstm().getP());
        }
      }
      default -> { }
    }
    names.removeIf(String::isEmpty);
    return names;
  }

  /** One line: layer kinds, sizes, parameter count and weight types. */
  static String oneLine(RillModel model) {
    List<String> kinds = new ArrayList<>();
    for (Layer l : model.getLayersList()) {
      if (!l.hasInput()) {
        kinds.add(GateLayout.kindName(l));
      }
    }
    return String.format("%s model, %s, %d -> %d, %,d parameters (%s)",
        model.getIo().getInputKind() == InputKind.TOKEN ? "token" : "vector",
        String.join(" + ", kinds), model.getIo().getInputSize(), model.getIo().getOutputSize(),
        parameterCount(model), String.join(", ", dtypes(model)));
  }

  /** The dtypes used by the model's tensors, e.g. {@code [bf16, f32]}. */
  static TreeSet<String> dtypes(RillModel model) {
    TreeSet<String> set = new TreeSet<>();
    model.getTensorsList().forEach(t -> set.add(dtypeName(t.getDtype())));
    return set;
  }

  /** Short dtype name: f32, bf16 or int8. */
  static String dtypeName(DataType d) {
    return switch (d) {
      case FLOAT32 -> "f32";
      case BFLOAT16 -> "bf16";
      case INT8 -> "int8";
      default -> d.name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  private static Map<String, Tensor> tensorsByName(RillModel model) {
    Map<String, Tensor> map = new HashMap<>();
    model.getTensorsList().forEach(t -> map.put(t.getName(), t));
    return map;
  }
}

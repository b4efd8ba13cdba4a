package dev.rill.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.converter.onnx.OnnxImporter;
import dev.rill.converter.onnx.export.ExportOptions;
import dev.rill.converter.onnx.export.OnnxExporter;
import dev.rill.converter.onnx.proto.AttributeProto;
import dev.rill.converter.onnx.proto.GraphProto;
import dev.rill.converter.onnx.proto.ModelProto;
import dev.rill.converter.onnx.proto.NodeProto;
import dev.rill.converter.onnx.proto.TensorProto;
import dev.rill.converter.onnx.proto.TensorShapeProto;
import dev.rill.converter.verify.OnnxVerifier;
import dev.rill.converter.verify.VerificationReport;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.Model;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Recurrent nodes with {@code layout = 1} (batch-major X [N, T, X], Y [N, T, D, H]). ONNX Runtime 1.29 refuses
 * layout 1 for LSTM, GRU and RNN ("Batchwise recurrent operations (layout == 1) are not supported"), so ORT cannot
 * be the oracle of such a graph directly. Instead the same weights are written twice: once as a layout-0 graph,
 * which ORT runs, and once as a layout-1 graph, which the importer converts; the imported model must compute what
 * ORT computes on the layout-0 graph.
 */
class OnnxLayoutOneTest {

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (String op : List.of("LSTM", "GRU", "RNN")) {
      for (Direction direction : List.of(Direction.FORWARD, Direction.REVERSE, Direction.BIDIRECTIONAL)) {
        cases.add(Arguments.of(op, direction));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1} layout 1")
  @MethodSource("cases")
  void layoutOneImportsToWhatOrtComputesOnLayoutZero(String op, Direction direction, @TempDir Path dir)
      throws Exception {
    RandomModels models = new RandomModels(31L * op.hashCode() + direction.getNumber()).vectorInput(5);
    RillModel model = switch (op) {
      case "LSTM" -> models.lstm(6, direction, Options.DEFAULT.withPeepholes()).build();
      case "GRU" -> models.gru(6, direction, Options.DEFAULT.withLinearBeforeReset()).build();
      default -> models.rnn(6, direction, Options.DEFAULT).build();
    };
    ModelProto layoutZero = new OnnxExporter(ExportOptions.DEFAULT.withoutStateOutputs()).export(model);
    Path layoutOne = dir.resolve("layout1.onnx");
    Files.write(layoutOne, toLayoutOne(layoutZero).toByteArray());

    // Checked rather than assumed: once ORT runs layout 1, this test should use it as the oracle directly.
    try (Model original = Model.of(model)) {
      IOException refused = assertThrows(IOException.class,
          () -> new OnnxVerifier().verify(original, Files.readAllBytes(layoutOne)));
      assertTrue(refused.getMessage().contains("layout"), refused.getMessage());
    }

    RillModel imported = OnnxImporter.importModel(layoutOne);
    try (Model back = Model.of(imported)) {
      VerificationReport report = new OnnxVerifier(new OnnxVerifier.Settings(20, 3, 5L, 1e-5, 1e-6))
          .verify(back, new OnnxExporter(ExportOptions.DEFAULT.withInitialStates()).export(model).toByteArray());
      assertEquals(op.equals("LSTM") ? 3 : 2, report.outputs().size(), "output and final states compared");
      assertTrue(report.passed(), op + " " + direction + ": layout-1 import vs ORT on layout 0: " + report);
    }
  }

  /**
   * Rewrites an exported one-layer graph to batch-major: the input becomes [N, T, X], the node gets layout 1, and
   * the glue after it turns Y [N, T, D, H] into the output [N, T, D*H].
   */
  private static ModelProto toLayoutOne(ModelProto layoutZero) {
    ModelProto.Builder model = layoutZero.toBuilder();
    GraphProto.Builder graph = model.getGraphBuilder();
    swapFirstTwoDims(graph.getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder().getShapeBuilder());
    swapFirstTwoDims(graph.getOutputBuilder(0).getTypeBuilder().getTensorTypeBuilder().getShapeBuilder());
    for (NodeProto.Builder node : graph.getNodeBuilderList()) {
      switch (node.getOpType()) {
        case "LSTM", "GRU", "RNN" -> node.addAttribute(AttributeProto.newBuilder().setName("layout")
            .setType(AttributeProto.AttributeType.INT).setI(1));
        // One direction: Y [N, T, 1, H] loses axis 2 instead of axis 1.
        case "Squeeze" -> setInt64Initializer(graph, node.getInput(1), 2);
        // Two directions: Y [N, T, 2, H] is already in order; Reshape [0, 0, 2H] concatenates the directions.
        case "Transpose" -> node.setAttribute(0, node.getAttribute(0).toBuilder().clearInts()
            .addAllInts(List.of(0L, 1L, 2L, 3L)));
        default -> { }
      }
    }
    return model.build();
  }

  private static void swapFirstTwoDims(TensorShapeProto.Builder shape) {
    TensorShapeProto.Dimension first = shape.getDim(0);
    shape.setDim(0, shape.getDim(1));
    shape.setDim(1, first);
  }

  private static void setInt64Initializer(GraphProto.Builder graph, String name, long value) {
    for (TensorProto.Builder t : graph.getInitializerBuilderList()) {
      if (t.getName().equals(name)) {
        byte[] raw = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
        t.setRawData(com.google.protobuf.ByteString.copyFrom(raw));
        return;
      }
    }
    throw new AssertionError("no initializer " + name);
  }
}

package dev.rill.converter.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.converter.onnx.export.ExportOptions;
import dev.rill.converter.onnx.export.OnnxExporter;
import dev.rill.converter.onnx.proto.ModelProto;
import dev.rill.converter.onnx.proto.TensorProto;
import dev.rill.converter.onnx.proto.TensorShapeProto;
import dev.rill.converter.onnx.proto.TypeProto;
import dev.rill.converter.onnx.proto.ValueInfoProto;
import dev.rill.format.ModelWriter;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.Model;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxVerifierTest {

  private static final OnnxVerifier STRICT =
      new OnnxVerifier(new OnnxVerifier.Settings(12, 2, 7L, 1e-5, 1e-6));

  @Test
  void exportedModelMatchesOnEveryOutput(@TempDir Path dir) throws Exception {
    RillModel model = new RandomModels(1).vectorInput(4).lstm(5, Direction.BIDIRECTIONAL)
        .gru(3, Direction.FORWARD, Options.DEFAULT).dense(2, OutputActivation.SOFTMAX).build();
    Path rill = dir.resolve("m.rill");
    Path onnx = dir.resolve("m.onnx");
    ModelWriter.write(model, rill);
    new OnnxExporter(ExportOptions.ALL_INPUTS).export(model, onnx);
    VerificationReport report = STRICT.verify(rill, onnx);
    assertEquals(List.of("output", "Y_h_0", "Y_c_0", "Y_h_1"),
        report.outputs().stream().map(OutputComparison::name).toList());
    assertEquals(12L * 2 * 2, report.outputs().get(0).elements());
    assertEquals(2L * 2 * 5, report.outputs().get(1).elements());
    assertTrue(report.passed(), report.toString());
    assertTrue(report.maxAbsError() < 1e-5, report.toString());
  }

  @Test
  void differentWeightsAreReported() throws Exception {
    RillModel a = new RandomModels(2).vectorInput(4).rnn(5, Direction.FORWARD, Options.DEFAULT).build();
    RillModel b = new RandomModels(3).vectorInput(4).rnn(5, Direction.FORWARD, Options.DEFAULT).build();
    try (Model rill = Model.of(a)) {
      VerificationReport report = STRICT.verify(rill, new OnnxExporter().export(b).toByteArray());
      assertFalse(report.passed());
      assertTrue(report.maxAbsError() > 1e-2, report.toString());
      assertTrue(report.outputs().get(0).mismatches() > 0);
    }
  }

  @Test
  void fixedBatchOfTheOnnxInputIsHonoured() throws Exception {
    RillModel model = new RandomModels(4).vectorInput(4).lstm(3, Direction.FORWARD).build();
    ModelProto.Builder onnx = new OnnxExporter().export(model).toBuilder();
    onnx.getGraphBuilder().getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder().getShapeBuilder()
        .setDim(1, TensorShapeProto.Dimension.newBuilder().setDimValue(1));
    try (Model rill = Model.of(model)) {
      VerificationReport report = STRICT.verify(rill, onnx.build().toByteArray());
      assertEquals(1, report.batch());
      assertTrue(report.passed(), report.toString());
    }
  }

  @Test
  void unknownExtraInputIsRefusedByName() throws Exception {
    RillModel model = new RandomModels(5).vectorInput(4).rnn(3, Direction.FORWARD, Options.DEFAULT).build();
    ModelProto.Builder onnx = new OnnxExporter().export(model).toBuilder();
    onnx.getGraphBuilder().addInput(ValueInfoProto.newBuilder().setName("temperature").setType(
        TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
            .setElemType(TensorProto.DataType.FLOAT.getNumber()).setShape(TensorShapeProto.newBuilder()))));
    try (Model rill = Model.of(model)) {
      IOException e = assertThrows(IOException.class, () -> STRICT.verify(rill, onnx.build().toByteArray()));
      assertTrue(e.getMessage().contains("'temperature'"), e.getMessage());
    }
  }

  @Test
  void inputOfTheWrongWidthIsRefused() throws Exception {
    RillModel narrow = new RandomModels(6).vectorInput(3).rnn(3, Direction.FORWARD, Options.DEFAULT).build();
    RillModel wide = new RandomModels(6).vectorInput(4).rnn(3, Direction.FORWARD, Options.DEFAULT).build();
    try (Model rill = Model.of(narrow)) {
      IOException e = assertThrows(IOException.class,
          () -> STRICT.verify(rill, new OnnxExporter().export(wide).toByteArray()));
      assertTrue(e.getMessage().contains("4 features per step") && e.getMessage().contains("3"), e.getMessage());
    }
  }

  @Test
  void garbageOnnxIsAnIoException() throws Exception {
    RillModel model = new RandomModels(7).vectorInput(3).rnn(3, Direction.FORWARD, Options.DEFAULT).build();
    try (Model rill = Model.of(model)) {
      IOException e = assertThrows(IOException.class, () -> STRICT.verify(rill, new byte[] {1, 2, 3}));
      assertTrue(e.getMessage().startsWith("ONNX Runtime failed"), e.getMessage());
    }
  }

  @Test
  void comparisonComputesAbsoluteRelativeAndMismatches() {
    OutputComparison c = OutputComparison.of("y", new float[] {1f, 2f, 0f, 1e-8f},
        new float[] {1f, 2.5f, 1e-3f, 0f}, 1e-5, 1e-6);
    assertEquals(0.5, c.maxAbsError(), 1e-12);
    assertEquals(1.0, c.maxRelError(), 1e-6); // 0 vs 1e-3: relative error 1; 1e-8 vs 0 is below the floor
    assertEquals(2, c.mismatches());
    assertFalse(c.passed());
    OutputComparison nan = OutputComparison.of("y", new float[] {Float.NaN}, new float[] {1f}, 1, 1);
    assertEquals(Double.POSITIVE_INFINITY, nan.maxAbsError());
    assertEquals(1, nan.mismatches());
    assertTrue(OutputComparison.of("y", new float[] {Float.NaN}, new float[] {Float.NaN}, 0, 0).passed());
  }
}

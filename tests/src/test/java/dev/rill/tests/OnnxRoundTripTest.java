package dev.rill.tests;

import static dev.rill.runtime.testing.RandomModels.activation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.converter.onnx.OnnxImporter;
import dev.rill.converter.onnx.export.ExportOptions;
import dev.rill.converter.onnx.export.OnnxExporter;
import dev.rill.converter.onnx.proto.ModelProto;
import dev.rill.converter.verify.OnnxVerifier;
import dev.rill.converter.verify.VerificationReport;
import dev.rill.format.GateLayout;
import dev.rill.format.proto.ActivationKind;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.Model;
import dev.rill.runtime.SequenceBatch;
import dev.rill.runtime.SequenceResult;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Rill → ONNX → Rill: a model exported by {@link OnnxExporter} and imported back by {@link OnnxImporter} computes
 * what the original computes, and what ONNX Runtime computes on the exported file.
 */
class OnnxRoundTripTest {

  record Case(String name, RillModel model) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> models() {
    Options clipped = Options.DEFAULT.withClip(0.8f);
    return Stream.of(
        new Case("LSTM forward", new RandomModels(1).vectorInput(5).lstm(6, Direction.FORWARD).build()),
        new Case("LSTM reverse, peepholes, input_forget", new RandomModels(2).vectorInput(5)
            .lstm(6, Direction.REVERSE, Options.DEFAULT.withPeepholes().withInputForget()).build()),
        new Case("LSTM bidirectional, activations", new RandomModels(3).vectorInput(5)
            .lstm(6, Direction.BIDIRECTIONAL, Options.DEFAULT.withActivations(List.of(
                // Softsign takes no alpha: alpha/beta are listed for the other two only, as ORT reads them.
                activation(ActivationKind.SOFTSIGN, 0, 0),
                activation(ActivationKind.SCALED_TANH, 1.2f, 0.8f),
                activation(ActivationKind.AFFINE, 0.7f, 0.1f),
                activation(ActivationKind.HARD_SIGMOID, 0.25f, 0.45f),
                activation(ActivationKind.TANH, 0, 0),
                activation(ActivationKind.LEAKY_RELU, 0.1f, 0)))).build()),
        new Case("GRU bidirectional, clip", new RandomModels(4).scale(1.5f).vectorInput(5)
            .gru(6, Direction.BIDIRECTIONAL, clipped).build()),
        new Case("GRU linear_before_reset", new RandomModels(5).vectorInput(5)
            .gru(6, Direction.REVERSE, Options.DEFAULT.withLinearBeforeReset()).build()),
        new Case("RNN bidirectional, LeakyRelu/Elu", new RandomModels(6).scale(0.3f).vectorInput(5)
            .rnn(6, Direction.BIDIRECTIONAL, Options.DEFAULT.withActivations(List.of(
                activation(ActivationKind.LEAKY_RELU, 0.05f, 0), activation(ActivationKind.ELU, 0.8f, 0))))
            .build()),
        new Case("minimal GRU (as a GRU)", new RandomModels(7).vectorInput(5)
            .minimalGru(6, Direction.FORWARD, Options.DEFAULT).build()),
        new Case("stack with dense and softmax", new RandomModels(8).vectorInput(6)
            .lstm(8, Direction.BIDIRECTIONAL).gru(5, Direction.FORWARD, Options.DEFAULT.withLinearBeforeReset())
            .dense(4, OutputActivation.SOFTMAX).build()),
        new Case("token model with log-softmax", new RandomModels(9).tokenInput(11, 4)
            .rnn(6, Direction.FORWARD, Options.DEFAULT).dense(11, OutputActivation.LOG_SOFTMAX).build()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void exportThenImportComputesTheSame(Case c, @TempDir Path dir) throws Exception {
    List<ExportOptions> variants = new ArrayList<>(List.of(ExportOptions.DEFAULT,
        ExportOptions.DEFAULT.withInitialStates()));
    if (GateLayout.isRecurrent(c.model().getLayers(c.model().getLayersCount() - 1))) {
      // With dense layers after the last recurrent layer, sequence lengths add a mask (Less, Cast, Mul, ...)
      // that the importer does not take; then the lengths are a run-time argument of Rill anyway.
      variants.add(ExportOptions.ALL_INPUTS);
    }
    for (ExportOptions options : variants) {
      // The full export, final-state outputs Y_h_K/Y_c_K included: they are noted, not taken for data.
      Path forImport = dir.resolve("model.onnx");
      new OnnxExporter(options).export(c.model(), forImport);
      RillModel imported = OnnxImporter.importModel(forImport);
      assertEquals(OnnxExporter.outputName(c.model()), imported.getIo().getOutputName(), c + ": output");
      for (int k = 0; k < c.model().getLayersList().stream().filter(GateLayout::isRecurrent).count(); k++) {
        String note = imported.getMetadataOrDefault("onnx.output.Y_h_" + k, "");
        assertTrue(note.startsWith("final hidden state Y_h of recurrent layer " + k), c + ": " + note);
      }
      try (Model original = Model.of(c.model()); Model back = Model.of(imported)) {
        assertEquals(original.inputSize(), back.inputSize(), c + ": input size");
        assertEquals(original.outputSize(), back.outputSize(), c + ": output size");
        assertEquals(original.recurrentLayerCount(), back.recurrentLayerCount(), c + ": recurrent layers");
        assertSameOutputs(original, back, c.name());
        // The imported model against ORT on the full export, final states included.
        byte[] full = new OnnxExporter(options).export(c.model()).toByteArray();
        VerificationReport report = new OnnxVerifier(new OnnxVerifier.Settings(24, 3, 99L, 1e-5, 1e-6))
            .verify(back, full);
        assertEquals(1 + original.recurrentLayerCount() + (int) c.model().getLayersList().stream()
            .filter(l -> l.hasLstm()).count(), report.outputs().size(), c + ": compared outputs");
        assertTrue(report.passed(), c + " " + options + ": imported model vs ORT: " + report);
      }
    }
  }

  /** Same random sequence into both models; outputs equal to float rounding (a minimal GRU becomes a GRU). */
  private static void assertSameOutputs(Model original, Model back, String what) {
    int steps = 20;
    int batch = 2;
    Random random = new Random(5);
    SequenceBatch input;
    if (original.isTokenModel()) {
      int[] tokens = random.ints(steps * batch, 0, original.inputSize()).toArray();
      input = SequenceBatch.ofTokens(tokens, steps, batch);
    } else {
      float[] data = new float[steps * batch * original.inputSize()];
      for (int i = 0; i < data.length; i++) {
        data[i] = random.nextFloat() * 2 - 1;
      }
      input = SequenceBatch.ofVectors(data, steps, batch);
    }
    SequenceResult expected = original.run(input);
    SequenceResult actual = back.run(input);
    float[] e = expected.output();
    float[] a = actual.output();
    assertEquals(e.length, a.length, what);
    for (int i = 0; i < e.length; i++) {
      assertTrue(Math.abs(e[i] - a[i]) <= 1e-6 + 1e-5 * Math.abs(e[i]),
          what + ": output[" + i + "] " + e[i] + " vs " + a[i] + " after the round trip");
    }
  }
}

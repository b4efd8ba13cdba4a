package dev.rill.converter.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.converter.json.Json;
import dev.rill.converter.onnx.OnnxTensors;
import dev.rill.converter.onnx.proto.ModelProto;
import dev.rill.converter.onnx.proto.TensorProto;
import dev.rill.converter.safetensors.SafetensorsWriter;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.Model;
import dev.rill.runtime.SequenceBatch;
import dev.rill.runtime.SequenceResult;
import dev.rill.runtime.testing.SharedFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real trained Silero VAD LSTMCell weights through the PyTorch path: the four
 * {@code model.decoder.rnn.*} initializers (PyTorch LSTMCell layout, gates i,f,g,o) are copied out of the
 * ONNX file into a safetensors file, as {@code model.state_dict()} would save them, imported by name,
 * and run over the 6 golden feature vectors (ONNX Runtime's Y, Y_h, Y_c).
 */
class SileroVadPyTorchTest {

  private static final String PREFIX = "model.decoder.rnn.";

  @TempDir
  Path dir;

  @Test
  void lstmCellWeightsMatchTheGoldenVectorsOverSixSteps() throws Exception {
    Path onnx = SharedFixtures.require("fixtures/models/silero_vad_16k_op15.onnx");
    Path golden = SharedFixtures.require("fixtures/models/silero_vad_16k_op15.lstm_layer.json");
    ModelProto model = ModelProto.parseFrom(Files.readAllBytes(onnx));
    SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
    for (String param : List.of("weight_ih", "weight_hh", "bias_ih", "bias_hh")) {
      TensorProto t = model.getGraph().getInitializerList().stream()
          .filter(i -> i.getName().equals(PREFIX + param)).findFirst().orElseThrow();
      writer.addF32(PREFIX + param, OnnxTensors.toFloats(t, null, 1 << 20), t.getDimsList().stream().mapToLong(Long::longValue).toArray());
    }
    Path weights = dir.resolve("silero_decoder.safetensors");
    writer.write(weights);

    RillModel imported = PyTorchImporter.importModel(weights, PyTorchImportOptions.defaults());
    assertEquals("model.decoder.rnn", imported.getLayers(1).getName());
    assertTrue(imported.getLayers(1).hasLstm());
    Map<String, Object> json = Json.parseObject(Files.readString(golden));
    try (Model m = Model.of(imported)) {
      SequenceResult r = m.run(SequenceBatch.ofVectors(values(json, "inputs", "X"), 6, 1));
      assertClose(values(json, "outputs", "Y"), r.output(), "Y");
      assertClose(values(json, "outputs", "Y_h"), r.finalState().hidden(0), "Y_h");
      assertClose(values(json, "outputs", "Y_c"), r.finalState().cell(0), "Y_c");
    }
  }

  /** The values of the entry named {@code name} in the golden file's {@code inputs} or {@code outputs} list. */
  static float[] values(Map<String, Object> json, String list, String name) {
    for (Object o : (List<?>) json.get(list)) {
      Map<?, ?> entry = (Map<?, ?>) o;
      if (name.equals(entry.get("name"))) {
        List<?> v = (List<?>) entry.get("values");
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
          out[i] = ((Number) v.get(i)).floatValue();
        }
        return out;
      }
    }
    throw new AssertionError("no " + list + " entry named " + name);
  }

  private static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + " length");
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-5, what + "[" + i + "]");
    }
  }
}

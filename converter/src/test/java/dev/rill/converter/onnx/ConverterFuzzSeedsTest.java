package dev.rill.converter.onnx;

import static dev.rill.converter.onnx.OnnxModels.attr;
import static dev.rill.converter.onnx.OnnxModels.floats;
import static dev.rill.converter.onnx.OnnxModels.node;
import static dev.rill.converter.onnx.OnnxModels.random;
import static dev.rill.converter.onnx.OnnxModels.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.converter.npy.Npy;
import dev.rill.converter.npy.NpyArray;
import dev.rill.converter.onnx.proto.GraphProto;
import dev.rill.converter.onnx.proto.ModelProto;
import dev.rill.converter.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed inputs of the converter's fuzz targets: the valid ONNX seeds import, the known-defect seed (a Transpose
 * whose perm is shorter than its input's rank) is refused with a clear message. With
 * {@code -Drill.fuzz.writeSeeds=true} it first rewrites the seed files under {@code rill.repo.root}: ONNX models,
 * safetensors files framed with and without a spec, and .npy arrays.
 */
class ConverterFuzzSeedsTest {

  private static final String RESOURCES = "converter/src/test/resources/dev/rill/converter/";

  @TempDir
  Path dir;

  /** One recurrent node (X=3, H=2) with its weights as initializers, as the importer's tests build them. */
  static ModelProto recurrent(String op, int gates, int directions, int opset) {
    Random rnd = new Random(op.hashCode() + directions);
    int h = 2;
    int x = 3;
    String direction = directions == 2 ? "bidirectional" : "forward";
    GraphProto graph = GraphProto.newBuilder().setName("g")
        .addNode(node(op, "rnn", List.of("X", "W", "R", "B"), List.of("Y"), attr("hidden_size", (long) h),
            attr("direction", direction)))
        .addInitializer(floats("W", random(rnd, directions * gates * h * x, 1f), directions, (long) gates * h, x))
        .addInitializer(floats("R", random(rnd, directions * gates * h * h, 1f), directions, (long) gates * h, h))
        .addInitializer(floats("B", random(rnd, directions * 2 * gates * h, 1f), directions, 2L * gates * h))
        .addInput(value("X", 1, "T", 1L, (long) x))
        .addOutput(value("Y", 1, "T", (long) directions, 1L, (long) h))
        .build();
    return OnnxModels.model(graph, opset);
  }

  /** The RNN model with a Transpose after it whose perm names one axis of a rank-4 output. */
  static ModelProto transposeWithShortPerm() {
    ModelProto rnn = recurrent("RNN", 1, 1, 14);
    GraphProto graph = rnn.getGraph().toBuilder()
        .addNode(node("Transpose", "short_perm", List.of("Y"), List.of("Z"), OnnxModels.ints("perm", 0)))
        .clearOutput().addOutput(value("Z", 1, "T", 1L, 2L)).build();
    return rnn.toBuilder().setGraph(graph).build();
  }

  static Map<String, ModelProto> validOnnx() {
    Map<String, ModelProto> models = new LinkedHashMap<>();
    models.put("rnn", recurrent("RNN", 1, 1, 14));
    models.put("lstm", recurrent("LSTM", 4, 1, 14));
    models.put("gru", recurrent("GRU", 3, 1, 22));
    return models;
  }

  private static byte[] lstmWithLinear() {
    Random rnd = new Random(5);
    SafetensorsWriter w = new SafetensorsWriter();
    w.addF32("lstm.weight_ih_l0", random(rnd, 16 * 3, 1f), 16, 3);
    w.addF32("lstm.weight_hh_l0", random(rnd, 16 * 4, 1f), 16, 4);
    w.addF32("lstm.bias_ih_l0", random(rnd, 16, 1f), 16);
    w.addF32("lstm.bias_hh_l0", random(rnd, 16, 1f), 16);
    w.addF32("proj.weight", random(rnd, 2 * 4, 1f), 2, 4);
    w.addF32("proj.bias", random(rnd, 2, 1f), 2);
    return w.toBytes();
  }

  private static byte[] embeddingGru() {
    Random rnd = new Random(6);
    SafetensorsWriter w = new SafetensorsWriter();
    w.addF32("embed.weight", random(rnd, 5 * 3, 1f), 5, 3);
    w.addF32("rnn.weight_ih_l0", random(rnd, 6 * 3, 1f), 6, 3);
    w.addF32("rnn.weight_hh_l0", random(rnd, 6 * 2, 1f), 6, 2);
    w.addF32("fc.weight", random(rnd, 5 * 2, 1f), 5, 2);
    return w.toBytes();
  }

  @Test
  void validSeedsImportAndTheShortPermIsRefused() throws IOException {
    writeSeedsIfAsked();
    for (var entry : validOnnx().entrySet()) {
      Path file = OnnxModels.write(dir, entry.getKey() + ".onnx", entry.getValue());
      assertEquals("rnn", OnnxImporter.importModel(file).getLayers(1).getName(), entry.getKey());
    }
    Path file = OnnxModels.write(dir, "short_perm.onnx", transposeWithShortPerm());
    OnnxImportException e = assertThrows(OnnxImportException.class, () -> OnnxImporter.importModel(file));
    assertTrue(e.getMessage().contains("is not a permutation of rank 4"), e.getMessage());
  }

  private static void writeSeedsIfAsked() throws IOException {
    if (!Boolean.getBoolean("rill.fuzz.writeSeeds")) {
      return;
    }
    Path root = Path.of(System.getProperty("rill.repo.root")).resolve(RESOURCES);
    Path onnx = Files.createDirectories(root.resolve("onnx/OnnxImporterFuzzTestInputs/importBytes"));
    for (var entry : validOnnx().entrySet()) {
      Files.write(onnx.resolve(entry.getKey() + ".onnx"), entry.getValue().toByteArray());
    }
    Files.write(onnx.resolve("transpose_perm_shorter_than_rank.onnx"), transposeWithShortPerm().toByteArray());

    Path torch = Files.createDirectories(root.resolve("pytorch/PyTorchImporterFuzzTestInputs/importWithSpec"));
    Files.write(torch.resolve("lstm_linear_inferred"), frame(null, lstmWithLinear()));
    Files.write(torch.resolve("lstm_linear_spec"), frame("{\"modules\": [{\"name\": \"lstm\", \"kind\": \"lstm\"}, "
        + "{\"name\": \"proj\", \"kind\": \"linear\", \"activation\": \"softmax\"}]}", lstmWithLinear()));
    Files.write(torch.resolve("embedding_gru_spec"), frame("{\"modules\": [{\"name\": \"embed\", \"kind\": \"embedding\"}, "
        + "{\"name\": \"rnn\", \"kind\": \"gru\"}, {\"name\": \"fc\", \"kind\": \"linear\"}]}", embeddingGru()));

    Path npy = Files.createDirectories(root.resolve("npy/NpyFuzzTestInputs/readBytes"));
    Files.write(npy.resolve("f4_3x2.npy"), Npy.toBytes(NpyArray.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 3, 2)));
    Files.write(npy.resolve("f8_2.npy"), Npy.toBytes(NpyArray.ofDoubles(new double[] {0.5, -1}, 2)));
    Files.write(npy.resolve("i4_4.npy"), Npy.toBytes(NpyArray.ofInts(new int[] {0, 1, 2, 3}, 4)));
    Files.write(npy.resolve("i8_2x2.npy"), Npy.toBytes(NpyArray.ofLongs(new long[] {1, 2, 3, Long.MAX_VALUE}, 2, 2)));
  }

  /** The framing of {@code PyTorchImporterFuzzTest}: two bytes of spec length, the spec, the safetensors bytes. */
  private static byte[] frame(String spec, byte[] safetensors) {
    byte[] json = spec == null ? new byte[0] : spec.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] input = new byte[2 + json.length + safetensors.length];
    input[0] = (byte) (json.length >> 8);
    input[1] = (byte) json.length;
    System.arraycopy(json, 0, input, 2, json.length);
    System.arraycopy(safetensors, 0, input, 2 + json.length, safetensors.length);
    return input;
  }
}

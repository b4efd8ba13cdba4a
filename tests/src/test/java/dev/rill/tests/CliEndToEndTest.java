package dev.rill.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.cli.CliRun;
import dev.rill.converter.json.Json;
import dev.rill.converter.npy.Npy;
import dev.rill.converter.npy.NpyArray;
import dev.rill.converter.pytorch.SileroVadPyTorchTest;
import dev.rill.runtime.testing.SharedFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The user's path through the {@code rill} CLI, end to end: convert a real model (from ONNX by node name, and
 * from PyTorch weights), inspect it, run it on .npy files (sequence API and streaming), compare with ONNX
 * Runtime's golden vectors; export and verify against ONNX Runtime; and the official ONNX node tests.
 */
class CliEndToEndTest {

  private static final String LSTM_NODE = "/model/decoder/rnn/LSTM";

  @TempDir
  Path dir;

  @Test
  void convertInspectRunAndCompareTheSileroLstmFromOnnxAndFromPyTorchWeights() throws IOException {
    Path onnx = SharedFixtures.require("fixtures/models/silero_vad_16k_op15.onnx");
    Map<String, Object> golden = Json.parseObject(Files.readString(
        SharedFixtures.require("fixtures/models/silero_vad_16k_op15.lstm_layer.json")));
    float[] y = SileroVadPyTorchTest.values(golden, "outputs", "Y");
    Path input = dir.resolve("x.npy");
    Npy.write(NpyArray.ofFloats(SileroVadPyTorchTest.values(golden, "inputs", "X"), 6, 128), input);

    Path fromOnnx = dir.resolve("onnx.rill");
    ok("convert", onnx.toString(), "--node", LSTM_NODE, "-o", fromOnnx.toString());
    Path weights = SileroVadPyTorchTest.writeDecoderSafetensors(onnx, dir.resolve("decoder.safetensors"));
    Path fromTorch = dir.resolve("torch.rill");
    ok("convert", weights.toString(), "-o", fromTorch.toString());

    CliRun inspect = ok("inspect", fromTorch.toString());
    assertTrue(inspect.out().contains("parameters  132,096"), inspect::toString);
    assertTrue(inspect.out().contains("model.decoder.rnn  lstm   forward    128  128  132,096  hidden 128"), inspect::toString);
    assertTrue(inspect.out().contains("safetensors.format = pt"), inspect::toString);

    for (Path model : List.of(fromOnnx, fromTorch)) {
      for (boolean stream : new boolean[] {false, true}) {
        Path out = dir.resolve("y.npy");
        if (stream) {
          ok("run", model.toString(), "--input", input.toString(), "--output", out.toString(), "--stream");
        } else {
          ok("run", model.toString(), "--input", input.toString(), "--output", out.toString());
        }
        NpyArray result = Npy.read(out);
        assertArrayEquals(new int[] {6, 128}, result.shape());
        assertArrayEquals(y, result.toFloats(), 1e-5f, model.getFileName() + (stream ? " streamed" : " sequence"));
      }
    }
  }

  @Test
  void batchOfStreamsRunsAsTNInput() throws IOException {
    Path onnx = SharedFixtures.require("fixtures/models/silero_vad_16k_op15.onnx");
    Map<String, Object> golden = Json.parseObject(Files.readString(
        SharedFixtures.require("fixtures/models/silero_vad_16k_op15.lstm_layer.json")));
    float[] x = SileroVadPyTorchTest.values(golden, "inputs", "X");
    float[] y = SileroVadPyTorchTest.values(golden, "outputs", "Y");
    // Two streams: the golden sequence, and the same sequence scaled by zero (a zero input from a zero state).
    float[] batch = new float[6 * 2 * 128];
    for (int t = 0; t < 6; t++) {
      System.arraycopy(x, t * 128, batch, t * 256, 128);
    }
    Path model = dir.resolve("vad.rill");
    ok("convert", onnx.toString(), "--node", LSTM_NODE, "-o", model.toString());
    Path input = dir.resolve("batch.npy");
    Npy.write(NpyArray.ofFloats(batch, 6, 2, 128), input);
    Path out = dir.resolve("out.npy");
    ok("run", model.toString(), "--input", input.toString(), "--output", out.toString());
    NpyArray result = Npy.read(out);
    assertArrayEquals(new int[] {6, 2, 128}, result.shape());
    float[] r = result.toFloats();
    for (int t = 0; t < 6; t++) {
      for (int j = 0; j < 128; j++) {
        assertEquals(y[t * 128 + j], r[t * 256 + j], 1e-5, "stream 0, step " + t);
      }
    }
    // Stream 1 must be independent of stream 0: equal to a run of the zero sequence alone.
    Path zeros = dir.resolve("zeros.npy");
    Npy.write(NpyArray.ofFloats(new float[6 * 128], 6, 128), zeros);
    Path zerosOut = dir.resolve("zeros_out.npy");
    ok("run", model.toString(), "--input", zeros.toString(), "--output", zerosOut.toString());
    float[] alone = Npy.read(zerosOut).toFloats();
    for (int t = 0; t < 6; t++) {
      for (int j = 0; j < 128; j++) {
        assertEquals(alone[t * 128 + j], r[t * 256 + 128 + j], 1e-6, "stream 1, step " + t);
      }
    }
  }

  @Test
  void exportedSileroLstmVerifiesAgainstOnnxRuntime() throws IOException {
    Path onnx = SharedFixtures.require("fixtures/models/silero_vad_16k_op15.onnx");
    Path model = dir.resolve("vad.rill");
    ok("convert", onnx.toString(), "--node", LSTM_NODE, "-o", model.toString(), "--weights", "bf16");
    Path exported = dir.resolve("vad.onnx");
    ok("export", model.toString(), "-o", exported.toString());
    CliRun verify = ok("verify", model.toString(), "--onnx", exported.toString(), "--steps", "8", "--batch", "2");
    assertTrue(verify.out().lines().anyMatch(l -> l.startsWith("PASS: largest error")), verify::toString);
  }

  @Test
  void exportWithRunTimeInputsAndStateOutputsConvertsBack() throws IOException {
    Path onnx = SharedFixtures.require("fixtures/models/silero_vad_16k_op15.onnx");
    Path model = dir.resolve("vad.rill");
    ok("convert", onnx.toString(), "--node", LSTM_NODE, "-o", model.toString());
    Path exported = dir.resolve("vad_all.onnx");
    ok("export", model.toString(), "-o", exported.toString(), "--sequence-lengths", "--initial-states");
    Path back = dir.resolve("vad_back.rill");
    ok("convert", exported.toString(), "-o", back.toString());
    CliRun inspect = ok("inspect", back.toString());
    String out = inspect.out();
    assertTrue(out.contains("onnx.output.Y_h_0 = final hidden state Y_h of recurrent layer 0"), inspect::toString);
    assertTrue(out.contains("onnx.layer.0.sequence_lens = graph input 'sequence_lens' (pass it at run time)"),
        inspect::toString);
    CliRun verify = ok("verify", back.toString(), "--onnx", exported.toString(), "--steps", "8", "--batch", "2");
    assertTrue(verify.out().lines().anyMatch(l -> l.startsWith("PASS: largest error")), verify::toString);
  }

  @Test
  void officialOnnxNodeTestsAllPassThroughTheCli() {
    Path cases = SharedFixtures.require("fixtures/onnx-node");
    CliRun r = CliRun.of("onnx-test", cases.toString());
    assertEquals(0, r.exitCode(), r::toString);
    List<String> lines = r.out().lines().toList();
    long cases12 = lines.stream().filter(l -> l.startsWith("PASS test_")).count();
    assertEquals(12, cases12, r::toString);
    assertTrue(lines.stream().anyMatch(l -> l.matches("PASS test_lstm_with_peepholes  max abs \\S+  max rel \\S+")), r::toString);
    assertEquals("12 passed, 0 failed", lines.get(lines.size() - 1));
  }

  @Test
  void onnxTestExitsNonZeroWhenACaseFails() throws IOException {
    Path cases = SharedFixtures.require("fixtures/onnx-node");
    // A copy of a real case with one expected value changed must fail, with its error in the line.
    Path copy = Files.createDirectories(dir.resolve("test_gru_defaults_tampered/test_data_set_0"));
    Path source = cases.resolve("test_gru_defaults");
    Files.copy(source.resolve("model.onnx"), copy.getParent().resolve("model.onnx"));
    for (String f : List.of("input_0.pb", "input_1.pb", "input_2.pb")) {
      Files.copy(source.resolve("test_data_set_0").resolve(f), copy.resolve(f));
    }
    byte[] expected = Files.readAllBytes(source.resolve("test_data_set_0/output_0.pb"));
    expected[expected.length - 2] ^= 0x10; // flips a bit in the last float's exponent/mantissa
    Files.write(copy.resolve("output_0.pb"), expected);
    CliRun r = CliRun.of("onnx-test", source.toString(), copy.getParent().toString());
    assertEquals(1, r.exitCode(), r::toString);
    assertTrue(r.out().startsWith("PASS test_gru_defaults  max abs"), r::toString);
    assertTrue(r.out().contains("FAIL test_gru_defaults_tampered  max abs"), r::toString);
    assertTrue(r.out().strip().endsWith("1 passed, 1 failed"), r::toString);
  }

  private static CliRun ok(String... args) {
    CliRun r = CliRun.of(args);
    assertEquals(0, r.exitCode(), () -> String.join(" ", args) + "\n" + r);
    return r;
  }
}

package dev.rill.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.converter.npy.Npy;
import dev.rill.converter.npy.NpyArray;
import dev.rill.converter.npy.NpyDtype;
import dev.rill.converter.pytorch.TorchReference;
import dev.rill.converter.pytorch.TorchReference.Cell;
import dev.rill.converter.safetensors.SafetensorsWriter;
import dev.rill.format.ModelReader;
import dev.rill.format.proto.DataType;
import dev.rill.format.proto.RillModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.rill.runtime.testing.SharedFixtures;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RillCliTest {

  private static final int IN = 3;
  private static final int H = 4;
  private static final int OUT = 2;

  @TempDir
  Path dir;

  private final Map<String, float[]> weights = new HashMap<>();

  @Test
  void noCommandIsAUsageError() {
    CliRun r = CliRun.of();
    assertEquals(2, r.exitCode(), r::toString);
    assertEquals("rill: error: missing command (convert, inspect, run, onnx-test, verify, export, train, sample, eval or demo) (see 'rill --help')", r.errLine());
  }

  @ParameterizedTest
  @ValueSource(strings = {"convert", "inspect", "run", "onnx-test", "verify", "export", "train", "sample", "eval", "demo"})
  void everyCommandHasHelpWithAnExample(String command) {
    CliRun r = CliRun.of(command, "--help");
    assertEquals(0, r.exitCode(), r::toString);
    assertTrue(r.out().startsWith("Usage: rill " + command), r::toString);
    assertTrue(r.out().contains("Example"), r::toString);
  }

  @Test
  void topLevelHelpListsTheCommands() {
    CliRun r = CliRun.of("--help");
    assertEquals(0, r.exitCode());
    assertTrue(r.out().contains("convert") && r.out().contains("inspect") && r.out().contains("run"), r::toString);
  }

  @Test
  void unknownOptionIsAUsageErrorOnOneLine() {
    CliRun r = CliRun.of("inspect", "--colour", "x.rill");
    assertEquals(2, r.exitCode(), r::toString);
    assertEquals("rill: error: Unknown option: '--colour' (see 'rill inspect --help')", r.errLine());
    assertEquals(1, r.err().lines().count(), r::toString);
  }

  @Test
  void missingRequiredOptionIsAUsageError() {
    CliRun r = CliRun.of("run", "m.rill", "--input", "x.npy");
    assertEquals(2, r.exitCode(), r::toString);
    assertTrue(r.errLine().startsWith("rill: error: Missing required option: '--output=Y.npy'"), r::toString);
  }

  @Test
  void missingFileIsAFailureOnOneLineAndVerboseAddsTheStackTrace() {
    Path missing = dir.resolve("missing.rill");
    CliRun r = CliRun.of("inspect", missing.toString());
    assertEquals(1, r.exitCode(), r::toString);
    assertEquals("rill: error: no such file: " + missing, r.err().strip());
    CliRun verbose = CliRun.of("inspect", "--verbose", missing.toString());
    assertEquals(1, verbose.exitCode());
    assertEquals("rill: error: no such file: " + missing, verbose.errLine());
    assertTrue(verbose.err().contains("\tat "), verbose::toString);
  }

  @Test
  void corruptModelFailsWithTheReadersMessage() throws IOException {
    Path bad = Files.write(dir.resolve("bad.rill"), new byte[] {1, 2, 3, 4, 5});
    CliRun r = CliRun.of("inspect", bad.toString());
    assertEquals(1, r.exitCode(), r::toString);
    assertTrue(r.errLine().startsWith("rill: error: ") && r.errLine().length() > "rill: error: ".length() + 5, r::toString);
    assertEquals(1, r.err().lines().count(), r::toString);
  }

  @Test
  void convertInspectAndRunAPyTorchGruWithHead() throws IOException {
    Path model = convertGru("--output-activation", "softmax");
    CliRun inspect = CliRun.of("inspect", model.toString());
    assertEquals(0, inspect.exitCode(), inspect::toString);
    int params = 3 * H * IN + 3 * H * H + 2 * 3 * H + OUT * H + OUT;
    assertTrue(inspect.out().contains(String.format("parameters  %,d", params)), inspect::toString);
    assertTrue(inspect.out().contains("rnn.l0") && inspect.out().contains("linear_before_reset 1"), inspect::toString);
    assertTrue(inspect.out().contains("activation softmax"), inspect::toString);
    assertTrue(inspect.out().matches("(?s).*rnn\\.l0\\.W\\s+f32\\s+\\[1, 12, 3\\]\\s+144\\s+[0-9a-f]{8} ok.*"), inspect::toString);
    assertTrue(inspect.out().contains("source.format = safetensors (PyTorch state_dict)"), inspect::toString);

    int steps = 6;
    float[] x = randomFloats(steps * IN, 7);
    Path input = dir.resolve("x.npy");
    Npy.write(NpyArray.ofFloats(x, steps, IN), input);
    Path output = dir.resolve("y.npy");
    CliRun run = CliRun.of("run", model.toString(), "--input", input.toString(), "--output", output.toString());
    assertEquals(0, run.exitCode(), run::toString);
    assertEquals("wrote " + output + ": float32 [6, 2] (6 steps x 1 stream, sequence API)", run.out().strip());
    NpyArray y = Npy.read(output);
    assertEquals(NpyDtype.F4, y.dtype());
    assertArrayEquals(new int[] {steps, OUT}, y.shape());
    double[] expected = reference(x, steps, 1, true);
    float[] actual = y.toFloats();
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-6 + 1e-5 * Math.abs(expected[i]), "element " + i);
    }

    Path streamed = dir.resolve("y_stream.npy");
    CliRun stream = CliRun.of("run", model.toString(), "--input", input.toString(), "--output", streamed.toString(), "--stream");
    assertEquals(0, stream.exitCode(), stream::toString);
    assertTrue(stream.out().contains("streamed step by step"), stream::toString);
    assertArrayEquals(actual, Npy.read(streamed).toFloats(), 1e-6f);
  }

  @Test
  void runTakesABatchAsTNInputInFloat64() throws IOException {
    Path model = convertGru();
    int steps = 4;
    int batch = 3;
    float[] x = randomFloats(steps * batch * IN, 9);
    double[] xd = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      xd[i] = x[i];
    }
    Path input = dir.resolve("batch.npy");
    Npy.write(NpyArray.ofDoubles(xd, steps, batch, IN), input);
    Path output = dir.resolve("batch_out.npy");
    for (String mode : new String[] {"sequence", "stream"}) {
      CliRun run = mode.equals("stream")
          ? CliRun.of("run", model.toString(), "--input", input.toString(), "--output", output.toString(), "--stream")
          : CliRun.of("run", model.toString(), "--input", input.toString(), "--output", output.toString());
      assertEquals(0, run.exitCode(), run::toString);
      NpyArray y = Npy.read(output);
      assertArrayEquals(new int[] {steps, batch, OUT}, y.shape());
      double[] expected = reference(x, steps, batch, false);
      float[] actual = y.toFloats();
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], actual[i], 1e-6 + 1e-5 * Math.abs(expected[i]), mode + " element " + i);
      }
    }
  }

  @Test
  void runRefusesInputsThatDoNotFitTheModel() throws IOException {
    Path model = convertGru();
    Path wrongWidth = dir.resolve("w.npy");
    Npy.write(NpyArray.ofFloats(new float[10], 2, 5), wrongWidth);
    CliRun r = CliRun.of("run", model.toString(), "--input", wrongWidth.toString(), "--output", dir.resolve("o.npy").toString());
    assertEquals(1, r.exitCode(), r::toString);
    assertEquals("rill: error: " + wrongWidth + ": last dimension is 5 but the model takes 3 inputs per step", r.errLine());

    Path ints = dir.resolve("i.npy");
    Npy.write(NpyArray.ofInts(new int[6], 2, 3), ints);
    r = CliRun.of("run", model.toString(), "--input", ints.toString(), "--output", dir.resolve("o.npy").toString());
    assertEquals(1, r.exitCode(), r::toString);
    assertEquals("rill: error: " + ints + ": expected a float array (<f4 or <f8), found integer dtype <i4 (this is a vector model)", r.errLine());

    Path rank4 = dir.resolve("r4.npy");
    Npy.write(NpyArray.ofFloats(new float[3], 1, 1, 1, 3), rank4);
    r = CliRun.of("run", model.toString(), "--input", rank4.toString(), "--output", dir.resolve("o.npy").toString());
    assertEquals(1, r.exitCode(), r::toString);
    assertEquals("rill: error: " + rank4 + ": shape [1, 1, 1, 3] does not fit a vector model: expected [T, 3] or [T, N, 3]", r.errLine());

    Path notNpy = Files.writeString(dir.resolve("n.npy"), "hello, this is not numpy");
    r = CliRun.of("run", model.toString(), "--input", notNpy.toString(), "--output", dir.resolve("o.npy").toString());
    assertEquals(1, r.exitCode(), r::toString);
    assertEquals("rill: error: not a .npy file: the magic string \\x93NUMPY is missing", r.errLine());
  }

  @Test
  void runStreamRefusesABidirectionalModel() throws IOException {
    SafetensorsWriter w = new SafetensorsWriter();
    for (String suffix : new String[] {"_l0", "_l0_reverse"}) {
      put(w, "lstm.weight_ih" + suffix, 4 * H, IN);
      put(w, "lstm.weight_hh" + suffix, 4 * H, H);
    }
    Path st = dir.resolve("bi.safetensors");
    w.write(st);
    Path model = dir.resolve("bi.rill");
    assertEquals(0, CliRun.of("convert", st.toString(), "-o", model.toString()).exitCode());
    Path input = dir.resolve("x.npy");
    Npy.write(NpyArray.ofFloats(new float[2 * IN], 2, IN), input);
    CliRun r = CliRun.of("run", model.toString(), "--input", input.toString(), "--output", dir.resolve("o.npy").toString(), "--stream");
    assertEquals(1, r.exitCode(), r::toString);
    assertTrue(r.errLine().startsWith("rill: error: ") && r.errLine().toLowerCase().contains("bidirectional"), r::toString);
    CliRun whole = CliRun.of("run", model.toString(), "--input", input.toString(), "--output", dir.resolve("o.npy").toString());
    assertEquals(0, whole.exitCode(), whole::toString);
    assertArrayEquals(new int[] {2, 2 * H}, Npy.read(dir.resolve("o.npy")).shape());
  }

  @Test
  void convertStoresTheRequestedWeightType() throws IOException {
    Path model = convertGru("--weights", "bf16");
    RillModel m = new ModelReader().read(model);
    assertEquals(DataType.BFLOAT16, m.getTensorsList().stream().filter(t -> t.getName().equals("rnn.l0.W")).findFirst().orElseThrow().getDtype());
    assertEquals(DataType.FLOAT32, m.getTensorsList().stream().filter(t -> t.getName().equals("rnn.l0.B")).findFirst().orElseThrow().getDtype());
    CliRun inspect = CliRun.of("inspect", model.toString());
    assertTrue(inspect.out().contains("dtypes      bf16, f32"), inspect::toString);
  }

  @Test
  void convertUsageErrors() throws IOException {
    Path st = writeGru();
    Path out = dir.resolve("m.rill");
    CliRun node = CliRun.of("convert", st.toString(), "-o", out.toString(), "--node", "x");
    assertEquals(2, node.exitCode(), node::toString);
    assertEquals("rill: error: --node applies to ONNX input only (see 'rill convert --help')", node.errLine());

    Path noExt = Files.copy(st, dir.resolve("weights.bin"));
    CliRun ext = CliRun.of("convert", noExt.toString(), "-o", out.toString());
    assertEquals(2, ext.exitCode(), ext::toString);
    assertTrue(ext.errLine().contains("cannot tell the format of " + noExt + " from its extension; give --from onnx or --from safetensors"), ext::toString);
    assertEquals(0, CliRun.of("convert", noExt.toString(), "--from", "safetensors", "-o", out.toString()).exitCode());

    CliRun weights = CliRun.of("convert", st.toString(), "-o", out.toString(), "--weights", "f8");
    assertEquals(2, weights.exitCode(), weights::toString);
    assertTrue(weights.errLine().startsWith("rill: error: Invalid value for option '--weights'"), weights::toString);

    CliRun act = CliRun.of("convert", st.toString(), "-o", out.toString(), "--output-activation", "gelu");
    assertEquals(2, act.exitCode(), act::toString);
    assertTrue(act.errLine().contains("--output-activation: unknown activation 'gelu'"), act::toString);
  }

  @Test
  void convertFailureNamesTheProblemAndWritesNothing() throws IOException {
    Path st = dir.resolve("bad.safetensors");
    Files.write(st, new byte[] {1, 2, 3});
    Path out = dir.resolve("never.rill");
    CliRun r = CliRun.of("convert", st.toString(), "-o", out.toString());
    assertEquals(1, r.exitCode(), r::toString);
    assertEquals("rill: error: truncated file: 3 bytes, less than the 8-byte header length", r.errLine());
    assertTrue(Files.notExists(out));
  }

  @Test
  void convertWithASpecFile() throws IOException {
    SafetensorsWriter w = new SafetensorsWriter();
    put(w, "proj.weight", H, H);
    put(w, "rnn.weight_ih", H, H);
    put(w, "rnn.weight_hh", H, H);
    Path st = dir.resolve("spec.safetensors");
    w.write(st);
    Path out = dir.resolve("spec.rill");
    CliRun ambiguous = CliRun.of("convert", st.toString(), "-o", out.toString());
    assertEquals(1, ambiguous.exitCode(), ambiguous::toString);
    assertTrue(ambiguous.errLine().startsWith("rill: error: the architecture is ambiguous"), ambiguous::toString);
    Path spec = Files.writeString(dir.resolve("spec.json"),
        "{\"modules\": [{\"name\": \"rnn\", \"kind\": \"rnn_cell\", \"nonlinearity\": \"relu\"}, {\"name\": \"proj\", \"kind\": \"linear\"}]}");
    CliRun ok = CliRun.of("convert", st.toString(), "-o", out.toString(), "--spec", spec.toString());
    assertEquals(0, ok.exitCode(), ok::toString);
    assertEquals("wrote " + out + ": vector model, rnn + dense, 4 -> 4, 48 parameters (f32)", ok.out().strip());
  }

  @Test
  void exportThenVerifyAgainstOnnxRuntime() throws IOException {
    Path model = convertGru("--output-activation", "softmax");
    Path onnx = dir.resolve("gru.onnx");
    CliRun export = CliRun.of("export", model.toString(), "-o", onnx.toString());
    assertEquals(0, export.exitCode(), export::toString);
    assertTrue(export.out().startsWith("wrote " + onnx + ": ONNX opset "), export::toString);
    CliRun verify = CliRun.of("verify", model.toString(), "--onnx", onnx.toString(), "--steps", "7", "--batch", "2");
    assertEquals(0, verify.exitCode(), verify::toString);
    assertTrue(verify.out().startsWith("random input: 7 steps x 2 sequences, seed 42"), verify::toString);
    assertTrue(verify.out().lines().anyMatch(l -> l.startsWith("PASS: largest error ")), verify::toString);
  }

  @Test
  void verifyFailsWhenTheOnnxModelComputesSomethingElse() throws IOException {
    Path model = convertGru("--output-activation", "softmax");
    Path other = convertGruTo("other.rill", 99);
    Path onnx = dir.resolve("other.onnx");
    assertEquals(0, CliRun.of("export", other.toString(), "-o", onnx.toString()).exitCode());
    CliRun verify = CliRun.of("verify", model.toString(), "--onnx", onnx.toString());
    assertEquals(1, verify.exitCode(), verify::toString);
    assertTrue(verify.out().lines().anyMatch(l -> l.startsWith("FAIL: largest error ")), verify::toString);
  }

  @Test
  void verifyRefusesBadSettingsAsUsageErrors() throws IOException {
    CliRun r = CliRun.of("verify", "m.rill", "--onnx", "m.onnx", "--steps", "0");
    assertEquals(2, r.exitCode(), r::toString);
    assertTrue(r.errLine().startsWith("rill: error: steps and batch must be at least 1"), r::toString);
  }

  @Test
  void onnxTestFailsOnABrokenCase() throws IOException {
    Path broken = Files.createDirectories(dir.resolve("test_broken"));
    Files.write(broken.resolve("model.onnx"), new byte[] {8, 1, 1});
    CliRun r = CliRun.of("onnx-test", broken.toString());
    assertEquals(1, r.exitCode(), r::toString);
    assertTrue(r.out().startsWith("FAIL test_broken: "), r::toString);
    assertTrue(r.out().strip().endsWith("0 passed, 1 failed"), r::toString);
    CliRun empty = CliRun.of("onnx-test", dir.toString() + "/nothing-here");
    assertEquals(1, empty.exitCode(), empty::toString);
    assertEquals("rill: error: no such file: " + dir + "/nothing-here", empty.errLine());
  }

  @Test
  void convertOnnxNodeAndRefuseSafetensorsOptions() throws IOException {
    Path onnx = SharedFixtures.require("fixtures/models/silero_vad_16k_op15.onnx");
    Path out = dir.resolve("vad.rill");
    CliRun whole = CliRun.of("convert", onnx.toString(), "-o", out.toString());
    assertEquals(1, whole.exitCode(), whole::toString);
    assertTrue(whole.errLine().startsWith("rill: error: ") && whole.errLine().contains("Conv"), whole::toString);
    CliRun node = CliRun.of("convert", onnx.toString(), "--node", "/model/decoder/rnn/LSTM", "-o", out.toString());
    assertEquals(0, node.exitCode(), node::toString);
    assertEquals("wrote " + out + ": vector model, lstm, 128 -> 128, 132,096 parameters (f32)", node.out().strip());
    CliRun spec = CliRun.of("convert", onnx.toString(), "--spec", "s.json", "-o", out.toString());
    assertEquals(2, spec.exitCode(), spec::toString);
  }

  // ------------------------------------------------------------------------------------------------

  private Path convertGruTo(String name, long seedOffset) throws IOException {
    SafetensorsWriter w = new SafetensorsWriter();
    for (String[] t : new String[][] {{"rnn.weight_ih_l0", "12", "3"}, {"rnn.weight_hh_l0", "12", "4"}, {"fc.weight", "2", "4"}}) {
      int n = Integer.parseInt(t[1]) * Integer.parseInt(t[2]);
      w.addF32(t[0], randomFloats(n, seedOffset + t[0].hashCode()), Long.parseLong(t[1]), Long.parseLong(t[2]));
    }
    Path st = dir.resolve(name + ".safetensors");
    w.write(st);
    Path model = dir.resolve(name);
    assertEquals(0, CliRun.of("convert", st.toString(), "-o", model.toString(), "--output-activation", "softmax").exitCode());
    return model;
  }


  private Path convertGru(String... extra) throws IOException {
    Path st = writeGru();
    Path model = dir.resolve("gru.rill");
    String[] args = new String[3 + extra.length];
    args[0] = "convert";
    args[1] = st.toString();
    args[2] = "-o" + model;
    System.arraycopy(extra, 0, args, 3, extra.length);
    CliRun r = CliRun.of(args);
    assertEquals(0, r.exitCode(), r::toString);
    assertTrue(r.out().startsWith("wrote " + model + ": vector model, gru + dense, 3 -> 2,"), r::toString);
    return model;
  }

  private Path writeGru() throws IOException {
    SafetensorsWriter w = new SafetensorsWriter();
    put(w, "rnn.weight_ih_l0", 3 * H, IN);
    put(w, "rnn.weight_hh_l0", 3 * H, H);
    put(w, "rnn.bias_ih_l0", 3 * H);
    put(w, "rnn.bias_hh_l0", 3 * H);
    put(w, "fc.weight", OUT, H);
    put(w, "fc.bias", OUT);
    Path st = dir.resolve("gru.safetensors");
    w.write(st);
    return st;
  }

  private double[] reference(float[] x, int steps, int batch, boolean softmax) {
    double[] xd = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      xd[i] = x[i];
    }
    double[] h = TorchReference.stack(weights, "rnn.", Cell.GRU, 1, false, false, xd, steps, batch, IN, H);
    double[] y = TorchReference.linear(weights.get("fc.weight"), weights.get("fc.bias"), h, steps * batch, H, OUT);
    return softmax ? TorchReference.softmaxRows(y, steps * batch, OUT) : y;
  }

  private void put(SafetensorsWriter w, String name, long... shape) {
    int n = 1;
    for (long d : shape) {
      n *= (int) d;
    }
    float[] v = randomFloats(n, name.hashCode());
    weights.put(name, v);
    w.addF32(name, v, shape);
  }

  private static float[] randomFloats(int n, long seed) {
    Random r = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextFloat() - 0.5f;
    }
    return v;
  }
}

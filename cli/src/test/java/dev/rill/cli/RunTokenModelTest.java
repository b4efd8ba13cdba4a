package dev.rill.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.converter.npy.Npy;
import dev.rill.converter.npy.NpyArray;
import dev.rill.converter.npy.NpyDtype;
import dev.rill.format.ModelBuilder;
import dev.rill.format.ModelWriter;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.runtime.Model;
import dev.rill.runtime.SequenceBatch;
import dev.rill.runtime.StreamingSession;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rill run} on a token model, end to end: a tiny embedding + LSTM + dense softmax model built with
 * {@link ModelBuilder} and written to a file, integer token ids in a .npy file, and the CLI's outputs compared
 * with what {@link Model#run} and {@link StreamingSession} compute for the same ids.
 */
class RunTokenModelTest {

  private static final int VOCAB = 7;
  private static final int DIM = 5;
  private static final int H = 6;

  @TempDir
  Path dir;

  private Path model;

  @BeforeEach
  void writeModel() throws IOException {
    Random rnd = new Random(11);
    model = dir.resolve("tokens.rill");
    ModelWriter.write(ModelBuilder.create()
        .embedding(VOCAB, DIM, random(rnd, VOCAB * DIM))
        .vocabulary(List.of("<pad>", "a", "b", "c", "d", "e", "f"))
        .lstm("lstm0", Direction.FORWARD, H, random(rnd, 4 * H * DIM), random(rnd, 4 * H * H), random(rnd, 8 * H))
        .dense("out", VOCAB, random(rnd, VOCAB * H), random(rnd, VOCAB), OutputActivation.SOFTMAX)
        .build(), model);
  }

  @Test
  void runTakesInt32TokenIdsAndWritesOneDistributionPerStep() throws IOException {
    int[] ids = {1, 4, 4, 0, 6, 2, 3, 5, 1};
    int steps = ids.length;
    Path input = dir.resolve("ids.npy");
    Npy.write(NpyArray.ofInts(ids, steps), input);

    Path output = dir.resolve("y.npy");
    CliRun run = CliRun.of("run", model.toString(), "--input", input.toString(), "--output", output.toString());
    assertEquals(0, run.exitCode(), run::toString);
    assertEquals("wrote " + output + ": float32 [9, 7] (9 steps x 1 stream, sequence API)", run.out().strip());
    NpyArray y = Npy.read(output);
    assertEquals(NpyDtype.F4, y.dtype());
    assertArrayEquals(new int[] {steps, VOCAB}, y.shape());

    Path streamedOutput = dir.resolve("y_stream.npy");
    CliRun stream = CliRun.of("run", model.toString(), "--input", input.toString(), "--output", streamedOutput.toString(),
        "--stream");
    assertEquals(0, stream.exitCode(), stream::toString);
    assertTrue(stream.out().contains("streamed step by step"), stream::toString);
    NpyArray streamed = Npy.read(streamedOutput);
    assertArrayEquals(new int[] {steps, VOCAB}, streamed.shape());

    try (Model m = Model.load(model)) {
      assertTrue(m.isTokenModel());
      assertArrayEquals(m.run(SequenceBatch.ofTokens(ids, steps, 1)).output(), y.toFloats());
      assertArrayEquals(stepThrough(m, ids), streamed.toFloats());
    }
    assertArrayEquals(y.toFloats(), streamed.toFloats(), 1e-6f);
    float[] probabilities = y.toFloats();
    for (int t = 0; t < steps; t++) {
      double sum = 0;
      for (int v = 0; v < VOCAB; v++) {
        float p = probabilities[t * VOCAB + v];
        assertTrue(p > 0 && p < 1, "step " + t + " token " + v + ": " + p);
        sum += p;
      }
      assertEquals(1.0, sum, 1e-5, "step " + t);
    }
  }

  @Test
  void runTakesABatchOfInt64TokenIdsAsTN() throws IOException {
    int steps = 5;
    int batch = 3;
    long[] ids = new long[steps * batch];
    Random rnd = new Random(5);
    for (int i = 0; i < ids.length; i++) {
      ids[i] = rnd.nextInt(VOCAB);
    }
    Path input = dir.resolve("batch.npy");
    Npy.write(NpyArray.ofLongs(ids, steps, batch), input);
    int[] ids32 = Npy.read(input).toInts();

    for (boolean stream : new boolean[] {false, true}) {
      Path output = dir.resolve(stream ? "stream.npy" : "sequence.npy");
      CliRun run = stream
          ? CliRun.of("run", model.toString(), "--input", input.toString(), "--output", output.toString(), "--stream")
          : CliRun.of("run", model.toString(), "--input", input.toString(), "--output", output.toString());
      assertEquals(0, run.exitCode(), run::toString);
      NpyArray y = Npy.read(output);
      assertArrayEquals(new int[] {steps, batch, VOCAB}, y.shape());
      float[] actual = y.toFloats();
      try (Model m = Model.load(model)) {
        assertArrayEquals(m.run(SequenceBatch.ofTokens(ids32, steps, batch)).output(), actual, 1e-6f, "stream " + stream);
        for (int n = 0; n < batch; n++) {
          int[] one = new int[steps];
          for (int t = 0; t < steps; t++) {
            one[t] = ids32[t * batch + n];
          }
          float[] expected = stepThrough(m, one);
          for (int t = 0; t < steps; t++) {
            for (int v = 0; v < VOCAB; v++) {
              assertEquals(expected[t * VOCAB + v], actual[(t * batch + n) * VOCAB + v], 1e-6f,
                  "stream " + stream + ", sequence " + n + ", step " + t + ", token " + v);
            }
          }
        }
      }
    }
  }

  @Test
  void runRefusesInputsThatDoNotFitATokenModel() throws IOException {
    Path output = dir.resolve("o.npy");
    Path floats = dir.resolve("f.npy");
    Npy.write(NpyArray.ofFloats(new float[4], 4), floats);
    CliRun r = CliRun.of("run", model.toString(), "--input", floats.toString(), "--output", output.toString());
    assertEquals(1, r.exitCode(), r::toString);
    assertEquals("rill: error: " + floats + ": expected an integer array (<i4 or <i8), found float dtype <f4 (this is a token model)",
        r.errLine());

    Path rank3 = dir.resolve("r3.npy");
    Npy.write(NpyArray.ofInts(new int[6], 2, 1, 3), rank3);
    r = CliRun.of("run", model.toString(), "--input", rank3.toString(), "--output", output.toString());
    assertEquals(1, r.exitCode(), r::toString);
    assertEquals("rill: error: " + rank3 + ": shape [2, 1, 3] does not fit a token model: expected [T] or [T, N] token ids",
        r.errLine());

    Path outOfRange = dir.resolve("oor.npy");
    Npy.write(NpyArray.ofInts(new int[] {1, VOCAB}, 2), outOfRange);
    for (String mode : new String[] {"sequence", "stream"}) {
      r = mode.equals("stream")
          ? CliRun.of("run", model.toString(), "--input", outOfRange.toString(), "--output", output.toString(), "--stream")
          : CliRun.of("run", model.toString(), "--input", outOfRange.toString(), "--output", output.toString());
      assertEquals(1, r.exitCode(), r::toString);
      assertTrue(r.errLine().startsWith("rill: error: ") && r.errLine().contains("token id " + VOCAB + " is out of range [0, 7)"),
          mode + ": " + r);
    }
  }

  /** One stream through a StreamingSession: [steps, VOCAB]. */
  private static float[] stepThrough(Model m, int[] ids) {
    float[] y = new float[ids.length * VOCAB];
    float[] out = new float[VOCAB];
    try (StreamingSession session = m.newSession()) {
      for (int t = 0; t < ids.length; t++) {
        session.step(ids[t], out);
        System.arraycopy(out, 0, y, t * VOCAB, VOCAB);
      }
    }
    return y;
  }

  private static float[] random(Random rnd, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = rnd.nextFloat() - 0.5f;
    }
    return v;
  }
}

package dev.rill.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rill.format.ModelReader;
import dev.rill.runtime.reference.ReferenceRnn;
import dev.rill.runtime.testing.SharedFixtures;
import dev.rill.runtime.testing.Tolerance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The README's API example, verbatim between the markers except the lines marked "test only", run on the
 * bundled model {@code examples/silero_vad_lstm.rill} and checked against the double-precision reference.
 */
class ReadmeExampleTest {

  private static final int STEPS = 100;

  @Test
  void streamsTheBundledModel() throws Exception {
    Path repo = SharedFixtures.repoRoot();                                       // test only
    assumeTrue(Files.isRegularFile(repo.resolve("examples/silero_vad_lstm.rill")),
        "examples/silero_vad_lstm.rill not found under " + repo);              // test only
    // --- README example begins ---
    try (Model model = Model.load(repo.resolve("examples/silero_vad_lstm.rill"));
         StreamingSession session = model.newSession()) {
      float[] features = new float[model.inputSize()];    // 128 features per step
      float[] hidden = new float[model.outputSize()];     // 128 hidden units out
      for (int t = 0; t < 100; t++) {
        Arrays.fill(features, (float) Math.sin(t * 0.1));  // one reading per step
        session.step(features, hidden);                    // no allocation, no GC
      }
      State checkpoint = session.snapshot();               // later: session.restore(checkpoint)
      checkAgainstReference(repo, hidden, checkpoint);     // test only
    }
    // --- README example ends ---
  }

  /** The last output and the final state of the example, recomputed by the reference from the same file. */
  private static void checkAgainstReference(Path repo, float[] output, State checkpoint) throws Exception {
    var proto = new ModelReader().read(repo.resolve("examples/silero_vad_lstm.rill"));
    int inputs = proto.getIo().getInputSize();
    assertEquals(128, inputs, "bundled model's input size");
    double[] x = new double[STEPS * inputs];
    for (int t = 0; t < STEPS; t++) {
      Arrays.fill(x, t * inputs, (t + 1) * inputs, (float) Math.sin(t * 0.1));
    }
    ReferenceRnn.Result expected = ReferenceRnn.run(proto, x, STEPS, 1, null, null, null);
    int outputs = output.length;
    double[] last = Arrays.copyOfRange(expected.output(), (STEPS - 1) * outputs, STEPS * outputs);
    Tolerance.assertClose(last, output, "last output");
    Tolerance.assertClose(expected.finalHidden().get(0), checkpoint.hidden(0), "final h");
    assertEquals(1, checkpoint.recurrentLayerCount());
  }
}

package dev.rill.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rill.runtime.reference.ReferenceRnn;
import dev.rill.runtime.testing.ExampleModels;
import dev.rill.runtime.testing.Tolerance;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's API example, verbatim between the markers except the line marked "test only", checked
 * against the double-precision reference.
 */
class ReadmeExampleTest {

  @Test
  void streamsATinyModel(@TempDir Path dir) throws Exception {
    // --- README example begins ---
    Path file = dir.resolve("tiny.rill");
    Files.write(file, ExampleModels.tinyLstm().toByteArray());  // 4 inputs → LSTM(8) → softmax(3)

    try (Model model = Model.load(file);
         StreamingSession session = model.newSession()) {
      float[] input = new float[model.inputSize()];
      float[] output = new float[model.outputSize()];
      for (int t = 0; t < 100; t++) {
        input[0] = (float) Math.sin(t * 0.1);                   // one reading per step
        session.step(input, output);                            // no allocation, no GC
      }
      State checkpoint = session.snapshot();                    // later: session.restore(checkpoint)
      checkAgainstReference(output, checkpoint);                // test only, not in the README
    }
    // --- README example ends ---
  }

  /** The last output and the final state of the example, recomputed by the reference. */
  private static void checkAgainstReference(float[] output, State checkpoint) {
    double[] x = new double[100 * 4];
    for (int t = 0; t < 100; t++) {
      x[t * 4] = (float) Math.sin(t * 0.1);
    }
    ReferenceRnn.Result expected = ReferenceRnn.run(ExampleModels.tinyLstm(), x, 100, 1, null, null, null);
    double[] last = java.util.Arrays.copyOfRange(expected.output(), 99 * 3, 100 * 3);
    Tolerance.assertClose(last, output, "last output");
    Tolerance.assertClose(expected.finalHidden().get(0), checkpoint.hidden(0), "final h");
    assertEquals(1, checkpoint.recurrentLayerCount());
  }
}

package dev.rill.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rill.bench.RecurrentWorkload.Cell;
import dev.rill.converter.onnx.export.ExportOptions;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.Model;
import dev.rill.runtime.StreamingSession;
import java.nio.FloatBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The benchmarks' ORT paths compute what Rill computes, step after step, so the timings compare like with like. */
class OrtStreamingStepsTest {

  @ParameterizedTest
  @EnumSource(Cell.class)
  void typicalAndPinnedStepsFollowRill(Cell cell) throws Exception {
    RecurrentWorkload workload = RecurrentWorkload.S;
    RillModel proto = workload.model(cell);
    float[] x = RecurrentWorkload.inputs(workload.inputSize());
    float[] expected = new float[workload.hiddenSize()];
    try (Model model = Model.of(proto); StreamingSession session = model.newSession();
        OrtHarness ort = new OrtHarness(proto, ExportOptions.DEFAULT.withInitialStates(), 1);
        OrtStreamingSteps.Pinned pinned = new OrtStreamingSteps.Pinned(ort, x, workload.hiddenSize(),
            OrtHarness.hasCellState(proto))) {
      OrtStreamingSteps.Typical typical =
          new OrtStreamingSteps.Typical(ort, x, workload.hiddenSize(), OrtHarness.hasCellState(proto));
      for (int step = 0; step < 5; step++) {
        session.step(x, expected);
        float[] fromTypical = typical.step();
        FloatBuffer fromPinned = pinned.step();
        for (int j = 0; j < expected.length; j++) {
          assertEquals(expected[j], fromTypical[j], 1e-5, cell + " typical, step " + step + ", unit " + j);
          assertEquals(expected[j], fromPinned.get(j), 1e-5, cell + " pinned, step " + step + ", unit " + j);
        }
      }
    }
  }
}

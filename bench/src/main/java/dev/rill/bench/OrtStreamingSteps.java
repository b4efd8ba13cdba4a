package dev.rill.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.rill.converter.onnx.export.OnnxExporter;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The two ways the benchmarks step an exported one-layer model in ONNX Runtime, one time step per call at batch
 * 1, with the state fed back each step through the {@code initial_h_0}/{@code initial_c_0} inputs and the
 * {@code Y_h_0}/{@code Y_c_0} outputs.
 */
final class OrtStreamingSteps {

  private OrtStreamingSteps() {}

  /**
   * What most ORT Java code does: per call, wrap the input and the state in new tensors over heap
   * FloatBuffers, run, copy the output and the new state out, close everything.
   */
  static final class Typical {
    private final OrtHarness ort;
    private final float[] x;
    private final float[] y;
    private final float[] h;
    private final float[] c;
    private final long[] stepShape;
    private final long[] stateShape;
    private final Set<String> outputs;

    Typical(OrtHarness ort, float[] x, int hidden, boolean lstm) {
      this.ort = ort;
      this.x = x;
      this.y = new float[hidden];
      this.h = new float[hidden];
      this.c = lstm ? new float[hidden] : null;
      this.stepShape = new long[] {1, 1, x.length};
      this.stateShape = new long[] {1, 1, hidden};
      this.outputs = lstm
          ? Set.of(ort.output, OnnxExporter.finalHiddenName(0), OnnxExporter.finalCellName(0))
          : Set.of(ort.output, OnnxExporter.finalHiddenName(0));
    }

    float[] step() throws OrtException {
      try (OnnxTensor xt = OnnxTensor.createTensor(ort.env, FloatBuffer.wrap(x), stepShape);
          OnnxTensor ht = OnnxTensor.createTensor(ort.env, FloatBuffer.wrap(h), stateShape);
          OnnxTensor ct = c == null ? null : OnnxTensor.createTensor(ort.env, FloatBuffer.wrap(c), stateShape)) {
        Map<String, OnnxTensor> inputs = ct == null
            ? Map.of(ort.input, xt, OnnxExporter.initialHiddenName(0), ht)
            : Map.of(ort.input, xt, OnnxExporter.initialHiddenName(0), ht, OnnxExporter.initialCellName(0), ct);
        try (OrtSession.Result result = ort.session.run(inputs, outputs)) {
          ((OnnxTensor) result.get(ort.output).orElseThrow()).getFloatBuffer().get(y);
          ((OnnxTensor) result.get(OnnxExporter.finalHiddenName(0)).orElseThrow()).getFloatBuffer().get(h);
          if (c != null) {
            ((OnnxTensor) result.get(OnnxExporter.finalCellName(0)).orElseThrow()).getFloatBuffer().get(c);
          }
        }
      }
      return y;
    }
  }

  /**
   * ORT's floor from Java: inputs and outputs are preallocated tensors over direct memory, and
   * {@code run(inputs, pinnedOutputs)} writes into them. Two state sets swap roles each step, so feeding the
   * state back copies nothing.
   */
  static final class Pinned implements AutoCloseable {
    private final OrtHarness ort;
    private final List<OrtHarness.Pinned> tensors = new ArrayList<>();
    private final OrtHarness.Pinned out;
    private final List<Map<String, OnnxTensor>> inputs = new ArrayList<>();
    private final List<Map<String, OnnxValue>> outputs = new ArrayList<>();
    private int parity;

    Pinned(OrtHarness ort, float[] x, int hidden, boolean lstm) throws OrtException {
      this.ort = ort;
      OrtHarness.Pinned input = keep(ort.pinned(1, 1, x.length));
      input.buffer().put(0, x);
      out = keep(ort.pinned(1, 1, hidden));
      OrtHarness.Pinned[] states = new OrtHarness.Pinned[4];
      for (int i = 0; i < states.length; i++) {
        states[i] = keep(ort.pinned(1, 1, hidden));
      }
      String hIn = OnnxExporter.initialHiddenName(0);
      String cIn = OnnxExporter.initialCellName(0);
      String hOut = OnnxExporter.finalHiddenName(0);
      String cOut = OnnxExporter.finalCellName(0);
      for (int p = 0; p < 2; p++) {
        // Parity p reads state set p (h at 2p, c at 2p + 1) and writes set 1 - p.
        int read = 2 * p;
        int write = 2 * (1 - p);
        inputs.add(lstm
            ? Map.of(ort.input, input.tensor(), hIn, states[read].tensor(), cIn, states[read + 1].tensor())
            : Map.of(ort.input, input.tensor(), hIn, states[read].tensor()));
        outputs.add(lstm
            ? Map.of(ort.output, out.tensor(), hOut, states[write].tensor(), cOut, states[write + 1].tensor())
            : Map.of(ort.output, out.tensor(), hOut, states[write].tensor()));
      }
    }

    private OrtHarness.Pinned keep(OrtHarness.Pinned tensor) {
      tensors.add(tensor);
      return tensor;
    }

    FloatBuffer step() throws OrtException {
      // Every output is pinned, so the Result owns nothing: closing it releases no tensor.
      try (OrtSession.Result result = ort.session.run(inputs.get(parity), outputs.get(parity))) {
        parity ^= 1;
      }
      return out.buffer();
    }

    @Override
    public void close() {
      tensors.forEach(OrtHarness.Pinned::close);
    }
  }
}

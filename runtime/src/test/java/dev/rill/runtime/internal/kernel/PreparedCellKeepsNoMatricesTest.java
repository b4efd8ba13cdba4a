package dev.rill.runtime.internal.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.ref.WeakReference;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A prepared cell holds its weights packed off-heap only: the float32 matrices it was prepared from become
 * unreachable (a loaded model would otherwise keep a heap copy of every weight), for the scalar and the
 * automatically chosen kernels and every weight precision.
 */
class PreparedCellKeepsNoMatricesTest {

  private static final int X = 24;
  private static final int H = 40;

  @Test
  void theMatricesAreUnreachableOncePrepared() {
    for (Kernels kernels : List.of(ScalarKernels.INSTANCE, KernelProvider.get())) {
      for (WeightPrecision precision : WeightPrecision.values()) {
        try (Arena arena = Arena.ofConfined()) {
          Random random = new Random(4);
          float[] w = floats(random, 4 * H * X);
          float[] r = floats(random, 4 * H * H);
          WeakReference<float[]> weakW = new WeakReference<>(w);
          WeakReference<float[]> weakR = new WeakReference<>(r);
          CellSpec spec = new CellSpec(CellKind.LSTM, X, H, w, r, floats(random, 4 * H), floats(random, 4 * H),
              floats(random, 3 * H), List.of(new ActivationFunction(ActivationFunction.Kind.SIGMOID, 0, 0),
                  new ActivationFunction(ActivationFunction.Kind.TANH, 0, 0),
                  new ActivationFunction(ActivationFunction.Kind.TANH, 0, 0)), Float.NaN, false, false);
          CellKernel cell = kernels.prepareCell(spec, precision, arena);
          w = null;
          r = null;
          spec = null;
          String what = kernels.name() + " " + precision;
          // A full collection clears weak references to unreachable arrays; a few more in case one is skipped.
          for (int gc = 0; gc < 20 && (weakW.get() != null || weakR.get() != null); gc++) {
            System.gc();
          }
          assertTrue(weakW.get() == null && weakR.get() == null, what + ": the prepared cell still holds W or R");
          assertNull(cell.spec().w(), what);
          assertEquals(H, cell.spec().hiddenSize(), what);
        }
      }
    }
  }

  private static float[] floats(Random random, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = random.nextFloat() - 0.5f;
    }
    return a;
  }
}

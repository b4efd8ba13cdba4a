package dev.rill.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.format.Tensors;
import dev.rill.format.proto.DataType;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import dev.rill.format.proto.Tensor;
import dev.rill.runtime.internal.kernel.WeightPrecision;
import dev.rill.runtime.internal.kernel.WeightQuantizer;
import dev.rill.runtime.reference.ReferenceRnn;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import dev.rill.runtime.testing.Tolerance;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Reduced-precision weights: loading with BF16 or INT8 rounds every weight matrix (W, R, dense weights)
 * once, deterministically, and then computes exactly as the FP32 runtime would with those rounded values.
 * Tensors stored in bf16 or int8 are used as stored.
 */
class WeightPrecisionTest {

  private static final RillModel MODEL = new RandomModels(7).vectorInput(6)
      .lstm(9, Direction.BIDIRECTIONAL, Options.DEFAULT.withPeepholes())
      .gru(5, Direction.FORWARD, Options.DEFAULT.withLinearBeforeReset())
      .dense(4, OutputActivation.NONE).build();

  @ParameterizedTest
  @EnumSource(value = WeightType.class, names = {"BF16", "INT8"})
  void loadTimeRoundingEqualsTheReferenceOnRoundedWeights(WeightType type) {
    WeightPrecision precision = WeightPrecision.valueOf(type.name());
    RillModel rounded = mapMatrices(MODEL, t -> fp32Rounded(t, precision));
    float[] x = ReferenceComparisonTest.randomFloats(new Random(3), 8 * 2 * 6, 1.5f);
    ReferenceRnn.Result expected = ReferenceRnn.run(rounded, Tolerance.toDoubles(x), 8, 2, null, null, null);
    try (Model reduced = Model.of(MODEL, LoadOptions.builder().weights(type).build());
        Model full = Model.of(MODEL)) {
      float[] actual = reduced.run(SequenceBatch.ofVectors(x, 8, 2)).output();
      Tolerance.assertClose(expected.output(), actual, type + " output");
      float[] fp32 = full.run(SequenceBatch.ofVectors(x, 8, 2)).output();
      double largest = 0;
      for (int i = 0; i < fp32.length; i++) {
        largest = Math.max(largest, Math.abs(fp32[i] - actual[i]));
      }
      assertTrue(largest > 1e-6, type + " must change the outputs (largest difference " + largest + ")");
      assertTrue(largest < (type == WeightType.BF16 ? 2e-2 : 5e-2), type + " costs " + largest);
    }
  }

  @ParameterizedTest
  @EnumSource(value = WeightType.class, names = {"BF16", "INT8"})
  void storedReducedTensorsAreUsedAsStored(WeightType type) {
    RillModel stored = mapMatrices(MODEL, t -> Tensors.encode(type == WeightType.BF16 ? DataType.BFLOAT16 : DataType.INT8, t.getName(),
        Tensors.toFloats(t), shape(t)));
    float[] x = ReferenceComparisonTest.randomFloats(new Random(4), 5 * 3 * 6, 1.5f);
    ReferenceRnn.Result expected = ReferenceRnn.run(stored, Tolerance.toDoubles(x), 5, 3, null, null, null);
    for (WeightType load : new WeightType[] {WeightType.FP32, type}) {
      try (Model model = Model.of(stored, LoadOptions.builder().weights(load).build())) {
        Tolerance.assertClose(expected.output(), model.run(SequenceBatch.ofVectors(x, 5, 3)).output(),
            type + " tensors loaded as " + load);
      }
    }
  }

  /** Replaces every weight matrix tensor (recurrent W and R, dense weights). */
  private static RillModel mapMatrices(RillModel model, UnaryOperator<Tensor> map) {
    RillModel.Builder b = model.toBuilder();
    for (int i = 0; i < b.getTensorsCount(); i++) {
      if (RandomModels.matrixTensorNames(model).contains(b.getTensors(i).getName())) {
        b.setTensors(i, map.apply(b.getTensors(i)));
      }
    }
    return b.build();
  }

  private static long[] shape(Tensor t) {
    return t.getShapeList().stream().mapToLong(Long::longValue).toArray();
  }

  private static Tensor fp32Rounded(Tensor t, WeightPrecision precision) {
    float[] v = Tensors.toFloats(t);
    int cols = (int) t.getShape(t.getShapeCount() - 1);
    return Tensors.fp32(t.getName(), WeightQuantizer.roundTrip(v, v.length / cols, cols, precision), shape(t));
  }
}

package dev.rill.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32C;
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
    RillModel stored = mapMatrices(MODEL, t -> type == WeightType.BF16 ? bf16(t) : int8(t));
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

  private static float[] floats(Tensor t) {
    float[] out = new float[t.getData().size() / 4];
    t.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }

  private static int columns(Tensor t) {
    return (int) t.getShape(t.getShapeCount() - 1);
  }

  private static Tensor fp32Rounded(Tensor t, WeightPrecision precision) {
    float[] v = floats(t);
    float[] r = WeightQuantizer.roundTrip(v, v.length / columns(t), columns(t), precision);
    return RandomModels.fp32(t.getName(), r, t.getShapeList().stream().mapToLong(Long::longValue).toArray());
  }

  private static Tensor bf16(Tensor t) {
    float[] v = floats(t);
    ByteBuffer data = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      data.putShort(WeightQuantizer.floatToBf16(f));
    }
    return withData(t, DataType.BFLOAT16, data.array(), new byte[0]);
  }

  private static Tensor int8(Tensor t) {
    float[] v = floats(t);
    int cols = columns(t);
    int rows = v.length / cols;
    byte[] data = new byte[v.length];
    ByteBuffer scales = ByteBuffer.allocate(4 * rows).order(ByteOrder.LITTLE_ENDIAN);
    for (int row = 0; row < rows; row++) {
      float scale = WeightQuantizer.int8Scale(v, row * cols, cols);
      scales.putFloat(scale);
      for (int c = 0; c < cols; c++) {
        data[row * cols + c] = WeightQuantizer.int8(v[row * cols + c], scale);
      }
    }
    return withData(t, DataType.INT8, data, scales.array());
  }

  private static Tensor withData(Tensor t, DataType dtype, byte[] data, byte[] scales) {
    CRC32C crc = new CRC32C();
    crc.update(data);
    crc.update(scales);
    return t.toBuilder().setDtype(dtype).setData(ByteString.copyFrom(data)).setRowScales(ByteString.copyFrom(scales))
        .setCrc32C((int) crc.getValue()).build();
  }
}

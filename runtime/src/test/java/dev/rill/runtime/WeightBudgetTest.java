package dev.rill.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.format.ModelFormatException;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.Layer;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import org.junit.jupiter.api.Test;

/**
 * {@link LoadOptions#maxWeightBytes()}: layers that share one tensor pair each pack their own copy, so the
 * budget counts every layer, and a model above it is refused before anything is allocated.
 */
class WeightBudgetTest {

  private static final int H = 32;

  /** An LSTM of H = 32 on 32 inputs, then {@code copies} more layers that reference its W, R and B tensors. */
  static RillModel sharedLayers(int copies) {
    RillModel one = new RandomModels(3).vectorInput(H).lstm(H, Direction.FORWARD, Options.DEFAULT).build();
    RillModel.Builder model = one.toBuilder();
    Layer lstm = one.getLayers(1);
    for (int i = 0; i < copies; i++) {
      model.addLayers(lstm.toBuilder().setName(lstm.getName() + "_shared" + i));
    }
    return model.build();
  }

  /** W and R of one layer at int8, plus float32 biases and two int8 scales per row. */
  private static final long ONE_LAYER_INT8 = 4L * H * (H + H) + 4L * H * (2 * 4 + 2 * 4);

  @Test
  void everyLayerCountsAgainstTheBudgetEvenWhenItSharesItsTensors() throws Exception {
    byte[] file = sharedLayers(99).toByteArray();
    LoadOptions enoughForOneHundred = LoadOptions.builder().weights(WeightType.INT8)
        .maxWeightBytes(100 * ONE_LAYER_INT8).build();
    try (Model model = Model.load(file, enoughForOneHundred)) {
      assertEquals(100, model.recurrentLayerCount());
    }
    LoadOptions tooSmall = LoadOptions.builder().weights(WeightType.INT8).maxWeightBytes(100 * ONE_LAYER_INT8 - 1)
        .build();
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> Model.load(file, tooSmall));
    assertTrue(e.getMessage().contains("budget of " + (100 * ONE_LAYER_INT8 - 1) + " bytes"), e.getMessage());
    assertTrue(e.getMessage().contains("maxWeightBytes"), e.getMessage());
    IllegalArgumentException wrapped = assertThrows(IllegalArgumentException.class,
        () -> Model.of(sharedLayers(99), tooSmall));
    assertInstanceOf(ModelFormatException.class, wrapped.getCause());
  }

  @Test
  void theBudgetFollowsTheWeightPrecision() throws Exception {
    byte[] file = sharedLayers(0).toByteArray();
    LoadOptions.Builder budget = LoadOptions.builder().maxWeightBytes(ONE_LAYER_INT8);
    try (Model model = Model.load(file, budget.weights(WeightType.INT8).build())) {
      assertEquals(1, model.recurrentLayerCount());
    }
    assertThrows(ModelFormatException.class, () -> Model.load(file, budget.weights(WeightType.BF16).build()));
    assertThrows(ModelFormatException.class, () -> Model.load(file, budget.weights(WeightType.FP32).build()));
  }

  @Test
  void theBudgetMustBePositiveAndDefaultsToFourGibibytes() {
    assertEquals(4L << 30, LoadOptions.defaults().maxWeightBytes());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LoadOptions.builder().maxWeightBytes(0));
    assertTrue(e.getMessage().contains("maxWeightBytes"), e.getMessage());
  }
}

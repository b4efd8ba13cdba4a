package dev.rill.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.format.proto.DataType;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.InputKind;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ModelBuilderTest {
  @Test
  void fillsNamesShapesIoAndVersion() {
    RillModel m = TestModels.lstm();
    assertEquals(ModelFormat.current(), m.getVersion());
    assertEquals(3, m.getLayersCount());
    assertEquals("lstm0.W", m.getLayers(1).getLstm().getRecurrent().getW());
    assertEquals(3, m.getLayers(1).getLstm().getRecurrent().getInputSize());
    assertEquals(4, m.getLayers(2).getDense().getInputSize());
    assertEquals(InputKind.VECTOR, m.getIo().getInputKind());
    assertEquals(3, m.getIo().getInputSize());
    assertEquals(2, m.getIo().getOutputSize());
    var w = m.getTensorsList().stream().filter(t -> t.getName().equals("lstm0.W")).findFirst().orElseThrow();
    assertEquals(java.util.List.of(1L, 16L, 3L), w.getShapeList());
    assertEquals(Tensors.crc32c(w), w.getCrc32C());
  }

  @Test
  void tokenModelHasTokenIo() {
    RillModel m = TestModels.tokens();
    assertEquals(InputKind.TOKEN, m.getIo().getInputKind());
    assertEquals(5, m.getIo().getInputSize());
    assertEquals(5, m.getVocabulary().getTokensCount());
  }

  @Test
  void weightTypeAppliesToWeightMatricesOnly() throws Exception {
    Random rnd = new Random(4);
    float[] w = TestModels.random(rnd, 3 * 2);
    RillModel m = ModelBuilder.create().weightType(DataType.INT8).input(2)
        .rnn("rnn0", Direction.FORWARD, 3, w, TestModels.random(rnd, 9), TestModels.random(rnd, 6))
        .dense("out", 1, TestModels.random(rnd, 3), null, OutputActivation.NONE).build();
    for (var t : m.getTensorsList()) {
      assertEquals(t.getName().endsWith(".B") ? DataType.FLOAT32 : DataType.INT8, t.getDtype(), t.getName());
    }
    float[] decoded = Tensors.toFloats(m.getTensors(0));
    for (int i = 0; i < w.length; i++) {
      assertEquals(w[i], decoded[i], 0.5f / 127 * 3f);
    }
  }

  @Test
  void rejectsWrongArrayLengthNamingTheTensor() {
    var e = assertThrows(IllegalArgumentException.class, () -> ModelBuilder.create().input(3)
        .lstm("lstm0", Direction.FORWARD, 4, new float[5], new float[64], null));
    assertTrue(e.getMessage().contains("lstm0.W"), e.getMessage());
  }

  @Test
  void modifiersNeedARecurrentLayer() {
    var b = ModelBuilder.create().input(2).dense("d", 2, new float[4], null, OutputActivation.NONE);
    var e = assertThrows(IllegalStateException.class, () -> b.clip(1f));
    assertTrue(e.getMessage().contains("not a recurrent layer"), e.getMessage());
    var g = ModelBuilder.create().input(2).gru("g", Direction.FORWARD, 1, new float[6], new float[3], null, false);
    assertThrows(IllegalStateException.class, () -> g.peepholes(new float[3]));
  }

  @Test
  void buildRejectsInvalidModelWithTheValidatorsMessage() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> ModelBuilder.create().input(2).rnn("r", Direction.FORWARD, 1, new float[2], new float[1], null)
            .clip(-1f).build());
    assertTrue(e.getMessage().contains("layer 'r' (rnn): recurrent.clip is -1.0"), e.getMessage());
    assertTrue(e.getCause() instanceof ModelFormatException);
  }

  @Test
  void inputOnlyModelIsRejected() {
    var e = assertThrows(IllegalArgumentException.class, () -> ModelBuilder.create().input(2).build());
    assertTrue(e.getMessage().contains("needs at least one layer after it"), e.getMessage());
  }
}

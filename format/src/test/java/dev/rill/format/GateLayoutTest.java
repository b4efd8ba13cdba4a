package dev.rill.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.format.proto.ActivationKind;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.Layer;
import dev.rill.format.proto.RillModel;
import java.util.List;
import org.junit.jupiter.api.Test;

class GateLayoutTest {
  @Test
  void gatesAndActivationsPerKind() {
    RillModel lstm = TestModels.lstm();
    RillModel gru = TestModels.tokens();
    assertEquals(4, GateLayout.gates(lstm.getLayers(1)));
    assertEquals(3, GateLayout.activationsPerDirection(lstm.getLayers(1)));
    assertEquals(3, GateLayout.gates(gru.getLayers(1)));
    assertEquals(2, GateLayout.activationsPerDirection(gru.getLayers(1)));
    assertTrue(GateLayout.isRecurrent(gru.getLayers(1)));
    assertFalse(GateLayout.isRecurrent(gru.getLayers(0)));
    var e = assertThrows(IllegalArgumentException.class, () -> GateLayout.gates(lstm.getLayers(2)));
    assertEquals("layer 'out' (dense) is not a recurrent layer", e.getMessage());
  }

  @Test
  void directions() {
    assertEquals(1, GateLayout.directions(Direction.FORWARD));
    assertEquals(1, GateLayout.directions(Direction.REVERSE));
    assertEquals(2, GateLayout.directions(Direction.BIDIRECTIONAL));
    assertThrows(IllegalArgumentException.class, () -> GateLayout.directions(Direction.DIRECTION_UNSPECIFIED));
  }

  @Test
  void shapesOfABidirectionalLstm() {
    Layer layer = TestModels.lstmFull().getLayers(1); // X 3, H 4, D 2
    assertArrayEquals(new long[] {2, 16, 3}, GateLayout.wShape(layer));
    assertArrayEquals(new long[] {2, 16, 4}, GateLayout.rShape(layer));
    assertArrayEquals(new long[] {2, 32}, GateLayout.bShape(layer));
    assertArrayEquals(new long[] {2, 12}, GateLayout.pShape(layer));
    assertEquals(8, GateLayout.outputSize(layer));
  }

  @Test
  void outputSizes() {
    RillModel m = TestModels.tokens(); // embedding 5x3, gru H 4, dense 5
    assertEquals(List.of(3L, 4L, 5L), m.getLayersList().stream().map(GateLayout::outputSize).toList());
    assertEquals(List.of("embedding", "gru", "dense"), m.getLayersList().stream().map(GateLayout::kindName).toList());
  }

  @Test
  void activationsDefaultToOnnxAndSplitPerDirection() {
    Layer plain = TestModels.lstm().getLayers(1);
    assertEquals(List.of(ActivationKind.SIGMOID, ActivationKind.TANH, ActivationKind.TANH),
        GateLayout.activations(plain, 0).stream().map(a -> a.getKind()).toList());
    Layer full = TestModels.lstmFull().getLayers(1);
    assertEquals(List.of(ActivationKind.SIGMOID, ActivationKind.ELU, ActivationKind.SOFTSIGN),
        GateLayout.activations(full, 1).stream().map(a -> a.getKind()).toList());
    assertEquals(0.5f, GateLayout.activations(full, 0).get(2).getAlpha());
    assertThrows(IndexOutOfBoundsException.class, () -> GateLayout.activations(plain, 1));
    Layer gru = TestModels.tokens().getLayers(1);
    assertEquals(List.of(ActivationKind.SIGMOID, ActivationKind.TANH),
        GateLayout.activations(gru, 0).stream().map(a -> a.getKind()).toList());
  }

  @Test
  void gateIndicesFollowTheOnnxOrder() {
    assertEquals(List.of(0, 1, 2, 3),
        List.of(GateLayout.LSTM_I, GateLayout.LSTM_O, GateLayout.LSTM_F, GateLayout.LSTM_C));
    assertEquals(List.of(0, 1, 2), List.of(GateLayout.GRU_Z, GateLayout.GRU_R, GateLayout.GRU_H));
    assertEquals(List.of(0, 1), List.of(GateLayout.MINIMAL_GRU_U, GateLayout.MINIMAL_GRU_C));
  }
}

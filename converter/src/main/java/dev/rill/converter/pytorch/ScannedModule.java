package dev.rill.converter.pytorch;

import dev.rill.converter.safetensors.SafetensorsTensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tensors of one PyTorch module, grouped by name prefix: {@code decoder.rnn.weight_ih} belongs
 * to module {@code decoder.rnn} with parameter {@code weight_ih}. A bare module saved on its own has
 * the prefix {@code ""}.
 */
final class ScannedModule {

  /** How the parameters are named, which settles whether the module is a stack, a cell or a plain layer. */
  enum Family {
    /** {@code weight_ih_l0...}: nn.LSTM, nn.GRU, nn.RNN. */
    STACK,
    /** {@code weight_ih...}: nn.LSTMCell, nn.GRUCell, nn.RNNCell. */
    CELL,
    /** {@code weight}, {@code bias}: nn.Linear, nn.Embedding. */
    PLAIN
  }

  private static final Pattern STACK_PARAM = Pattern.compile("(weight|bias)_(ih|hh)_l(\\d+)(_reverse)?");
  private static final Pattern PROJECTION_PARAM = Pattern.compile("weight_hr_l\\d+(_reverse)?");
  private static final Pattern CELL_PARAM = Pattern.compile("(weight|bias)_(ih|hh)");
  private static final Pattern PLAIN_PARAM = Pattern.compile("weight|bias");

  private final String name;
  private final Family family;
  private final Map<String, SafetensorsTensor> params = new LinkedHashMap<>();

  private ScannedModule(String name, Family family) {
    this.name = name;
    this.family = family;
  }

  /** The module's prefix ({@code ""} for a bare module). */
  String name() {
    return name;
  }

  /** A name for messages and layer names: the prefix, or "(root)" for a bare module. */
  String displayName() {
    return name.isEmpty() ? "(root)" : name;
  }

  Family family() {
    return family;
  }

  /** The tensor of a parameter (e.g. {@code weight_hh_l1_reverse}), or null. */
  SafetensorsTensor param(String param) {
    return params.get(param);
  }

  /** Every parameter name of this module. */
  Iterable<String> paramNames() {
    return params.keySet();
  }

  /** The full tensor name of a parameter. */
  String tensorName(String param) {
    return name.isEmpty() ? param : name + "." + param;
  }

  /**
   * Groups tensors into modules, in the order of their first tensor's data in the file.
   *
   * @throws PyTorchImportException naming a tensor that belongs to no module Rill imports
   */
  static List<ScannedModule> scan(List<SafetensorsTensor> tensors) throws PyTorchImportException {
    Map<String, ScannedModule> modules = new LinkedHashMap<>();
    for (SafetensorsTensor t : tensors) {
      int dot = t.name().lastIndexOf('.');
      String prefix = dot < 0 ? "" : t.name().substring(0, dot);
      String param = t.name().substring(dot + 1);
      Family family = familyOf(t.name(), param);
      ScannedModule m = modules.computeIfAbsent(prefix, p -> new ScannedModule(p, family));
      if (m.family != family) {
        throw new PyTorchImportException("module '" + m.displayName() + "' mixes parameter naming styles: tensor '" + t.name()
            + "' does not fit the other parameters of the module");
      }
      m.params.put(param, t);
    }
    return new ArrayList<>(modules.values());
  }

  private static Family familyOf(String tensor, String param) throws PyTorchImportException {
    if (STACK_PARAM.matcher(param).matches()) {
      return Family.STACK;
    } else if (PROJECTION_PARAM.matcher(param).matches()) {
      throw new PyTorchImportException("tensor '" + tensor + "': LSTM with proj_size (projection weights) is not supported");
    } else if (CELL_PARAM.matcher(param).matches()) {
      return Family.CELL;
    } else if (PLAIN_PARAM.matcher(param).matches()) {
      return Family.PLAIN;
    }
    throw new PyTorchImportException("tensor '" + tensor + "': parameter '" + param + "' does not belong to a module Rill imports "
        + "(nn.LSTM, nn.GRU, nn.RNN, nn.LSTMCell, nn.GRUCell, nn.RNNCell, nn.Linear, nn.Embedding)");
  }

  /** The layer index of a stack parameter name. */
  static int layerOf(String param) {
    Matcher m = STACK_PARAM.matcher(param);
    if (!m.matches()) {
      throw new IllegalArgumentException(param);
    }
    return Integer.parseInt(m.group(3));
  }

  /** True if a stack parameter name is of the reverse direction. */
  static boolean isReverse(String param) {
    return param.endsWith("_reverse");
  }
}

package dev.rill.converter.pytorch;

import dev.rill.converter.json.Json;
import dev.rill.converter.json.JsonParseException;
import dev.rill.format.proto.OutputActivation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The architecture of a PyTorch model, for when names and shapes do not settle it: the modules in
 * the order the forward pass applies them. A spec file is JSON:
 *
 * <pre>{@code
 * {
 *   "modules": [
 *     {"name": "embed", "kind": "embedding"},
 *     {"name": "rnn",   "kind": "rnn", "nonlinearity": "relu"},
 *     {"name": "fc",    "kind": "linear", "activation": "log_softmax"}
 *   ],
 *   "vocabulary": ["<pad>", "a", "b"],
 *   "metadata": {"trained_on": "..."}
 * }
 * }</pre>
 *
 * {@code name} is the module's prefix in the tensor names ({@code "decoder.rnn"} for
 * {@code decoder.rnn.weight_ih}; {@code ""} for a bare module saved on its own). {@code kind} is one of
 * {@code lstm, gru, rnn, lstm_cell, gru_cell, rnn_cell, linear, embedding}. {@code nonlinearity}
 * ({@code tanh} or {@code relu}) applies to {@code rnn}/{@code rnn_cell} only; {@code activation}
 * ({@code none, softmax, log_softmax, sigmoid, tanh}) to {@code linear} only. {@code vocabulary}
 * and {@code metadata} are optional; a {@code vocabulary} is refused unless the model starts with an embedding.
 *
 * @param modules the modules in order
 * @param vocabulary token strings by id for a model that starts with an embedding (may be empty)
 * @param metadata extra metadata to store in the model
 */
public record ArchitectureSpec(List<ModuleSpec> modules, List<String> vocabulary, Map<String, String> metadata) {

  /**
   * One module of a spec.
   *
   * @param name the tensor-name prefix of the module
   * @param kind what the module is
   * @param nonlinearity for RNN modules, else null
   * @param activation for Linear modules, else null (none)
   */
  public record ModuleSpec(String name, ModuleKind kind, Nonlinearity nonlinearity, OutputActivation activation) {}

  /** Copies the lists so the spec is immutable. */
  public ArchitectureSpec {
    modules = List.copyOf(modules);
    vocabulary = List.copyOf(vocabulary);
    metadata = Map.copyOf(metadata);
  }

  /**
   * Reads a spec file.
   *
   * @throws PyTorchImportException naming the file and what is wrong with it
   */
  public static ArchitectureSpec read(Path file) throws IOException {
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8));
    } catch (PyTorchImportException e) {
      throw new PyTorchImportException("spec file " + file + ": " + e.getMessage());
    }
  }

  /**
   * Parses spec JSON.
   *
   * @throws PyTorchImportException naming the field and what is wrong with it
   */
  public static ArchitectureSpec parse(String json) throws PyTorchImportException {
    Map<String, Object> root;
    try {
      root = Json.parseObject(json);
    } catch (JsonParseException e) {
      throw new PyTorchImportException("not valid JSON: " + e.getMessage());
    }
    checkKeys(root, "the top level", Set.of("modules", "vocabulary", "metadata"));
    if (!(root.get("modules") instanceof List<?> list) || list.isEmpty()) {
      throw new PyTorchImportException("\"modules\" must be a non-empty array of modules");
    }
    List<ModuleSpec> modules = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      modules.add(module(list.get(i), "modules[" + i + "]"));
    }
    List<String> vocabulary = new ArrayList<>();
    if (root.get("vocabulary") instanceof List<?> vocab) {
      for (int i = 0; i < vocab.size(); i++) {
        vocabulary.add(string(vocab.get(i), "vocabulary[" + i + "]"));
      }
    } else if (root.containsKey("vocabulary")) {
      throw new PyTorchImportException("\"vocabulary\" must be an array of strings");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    if (root.get("metadata") instanceof Map<?, ?> meta) {
      for (Map.Entry<?, ?> e : meta.entrySet()) {
        metadata.put((String) e.getKey(), string(e.getValue(), "metadata." + e.getKey()));
      }
    } else if (root.containsKey("metadata")) {
      throw new PyTorchImportException("\"metadata\" must be an object of strings");
    }
    return new ArchitectureSpec(modules, vocabulary, metadata);
  }

  private static ModuleSpec module(Object value, String where) throws PyTorchImportException {
    if (!(value instanceof Map<?, ?> raw)) {
      throw new PyTorchImportException(where + " must be an object with \"name\" and \"kind\"");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) raw;
    checkKeys(m, where, Set.of("name", "kind", "nonlinearity", "activation"));
    String name = string(m.get("name"), where + ".name");
    ModuleKind kind;
    try {
      kind = ModuleKind.ofSpecName(string(m.get("kind"), where + ".kind"));
    } catch (IllegalArgumentException e) {
      throw new PyTorchImportException(where + ".kind: " + e.getMessage());
    }
    Nonlinearity nonlinearity = null;
    if (m.containsKey("nonlinearity")) {
      if (kind != ModuleKind.RNN && kind != ModuleKind.RNN_CELL) {
        throw new PyTorchImportException(where + ".nonlinearity applies to rnn and rnn_cell modules only, not " + kind.specName());
      }
      nonlinearity = nonlinearity(string(m.get("nonlinearity"), where + ".nonlinearity"), where + ".nonlinearity");
    }
    OutputActivation activation = null;
    if (m.containsKey("activation")) {
      if (kind != ModuleKind.LINEAR) {
        throw new PyTorchImportException(where + ".activation applies to linear modules only, not " + kind.specName());
      }
      activation = outputActivation(string(m.get("activation"), where + ".activation"), where + ".activation");
    }
    return new ModuleSpec(name, kind, nonlinearity, activation);
  }

  /**
   * Parses {@code tanh} or {@code relu}.
   *
   * @throws PyTorchImportException naming {@code where} if it is neither
   */
  public static Nonlinearity nonlinearity(String value, String where) throws PyTorchImportException {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "tanh" -> Nonlinearity.TANH;
      case "relu" -> Nonlinearity.RELU;
      default -> throw new PyTorchImportException(where + ": unknown nonlinearity '" + value + "' (valid: tanh, relu)");
    };
  }

  /**
   * Parses {@code none, softmax, log_softmax, sigmoid} or {@code tanh}.
   *
   * @throws PyTorchImportException naming {@code where} if it is none of them
   */
  public static OutputActivation outputActivation(String value, String where) throws PyTorchImportException {
    return switch (value.toLowerCase(Locale.ROOT).replace('-', '_')) {
      case "none" -> OutputActivation.NONE;
      case "softmax" -> OutputActivation.SOFTMAX;
      case "log_softmax", "logsoftmax" -> OutputActivation.LOG_SOFTMAX;
      case "sigmoid" -> OutputActivation.OUTPUT_SIGMOID;
      case "tanh" -> OutputActivation.OUTPUT_TANH;
      default -> throw new PyTorchImportException(where + ": unknown activation '" + value
          + "' (valid: none, softmax, log_softmax, sigmoid, tanh)");
    };
  }

  private static void checkKeys(Map<String, Object> m, String where, Set<String> allowed) throws PyTorchImportException {
    for (String key : m.keySet()) {
      if (!allowed.contains(key)) {
        throw new PyTorchImportException(where + ": unknown field \"" + key + "\" (valid: " + String.join(", ", allowed.stream().sorted().toList()) + ")");
      }
    }
  }

  private static String string(Object value, String where) throws PyTorchImportException {
    if (!(value instanceof String s)) {
      throw new PyTorchImportException(where + " must be a string, found " + (value == null ? "nothing" : Json.typeName(value)));
    }
    return s;
  }
}

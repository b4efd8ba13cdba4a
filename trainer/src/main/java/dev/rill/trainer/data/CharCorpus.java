package dev.rill.trainer.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A text as a sequence of character ids: its vocabulary is the sorted set of its distinct characters (Unicode
 * code points), and id i stands for {@code vocabulary().get(i)}.
 */
public final class CharCorpus {
  private final List<String> vocabulary;
  private final Map<String, Integer> ids;
  private final int[] text;

  private CharCorpus(List<String> vocabulary, int[] text) {
    this.vocabulary = List.copyOf(vocabulary);
    this.ids = new HashMap<>();
    for (int i = 0; i < vocabulary.size(); i++) {
      ids.put(vocabulary.get(i), i);
    }
    this.text = text;
  }

  /**
   * Reads a UTF-8 text file for training.
   *
   * @param file the text
   * @return the corpus
   * @throws IOException if it cannot be read
   * @throws IllegalArgumentException if it is empty, not UTF-8 text (binary), or has fewer than two distinct characters
   */
  public static CharCorpus read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + ": not a regular file");
    }
    byte[] bytes = Files.readAllBytes(file);
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(file + ": not UTF-8 text (a binary file?)");
    }
    if (text.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(file + ": contains NUL characters (a binary file?)");
    }
    return of(text, file.toString());
  }

  /**
   * A corpus of a string, its vocabulary taken from it.
   *
   * @param text the text
   * @param name what to call it in messages
   * @return the corpus
   */
  public static CharCorpus of(String text, String name) {
    if (text.isEmpty()) {
      throw new IllegalArgumentException(name + ": the text is empty");
    }
    TreeSet<String> distinct = new TreeSet<>();
    text.codePoints().forEach(c -> distinct.add(Character.toString(c)));
    if (distinct.size() < 2) {
      throw new IllegalArgumentException(name + ": the text has only one distinct character; a language model needs at least two");
    }
    CharCorpus corpus = new CharCorpus(new ArrayList<>(distinct), new int[0]);
    return new CharCorpus(corpus.vocabulary, corpus.encode(text, name));
  }

  /**
   * Encodes a text with a given vocabulary.
   *
   * @param vocabulary the characters, id i is {@code vocabulary.get(i)}
   * @param text the text
   * @param name what to call it in messages
   * @return the corpus
   * @throws IllegalArgumentException if the text has characters outside the vocabulary (it names them)
   */
  public static CharCorpus of(List<String> vocabulary, String text, String name) {
    CharCorpus corpus = new CharCorpus(vocabulary, new int[0]);
    return new CharCorpus(vocabulary, corpus.encode(text, name));
  }

  /**
   * @param text a text
   * @param name what to call it in messages
   * @return its ids
   * @throws IllegalArgumentException if it has characters outside the vocabulary (it names up to ten)
   */
  public int[] encode(String text, String name) {
    int[] out = text.codePoints().map(c -> ids.getOrDefault(Character.toString(c), -1)).toArray();
    TreeSet<String> unknown = new TreeSet<>();
    for (int i = 0; i < out.length; i++) {
      if (out[i] < 0) {
        unknown.add(describe(text.codePoints().skip(i).findFirst().orElseThrow()));
      }
    }
    if (!unknown.isEmpty()) {
      List<String> shown = new ArrayList<>(unknown).subList(0, Math.min(10, unknown.size()));
      throw new IllegalArgumentException(name + ": " + unknown.size() + " character" + (unknown.size() == 1 ? " is" : "s are")
          + " not in the model's vocabulary: " + String.join(", ", shown) + (unknown.size() > 10 ? ", ..." : ""));
    }
    return out;
  }

  private static String describe(int codePoint) {
    String hex = String.format("U+%04X", codePoint);
    return Character.isISOControl(codePoint) || Character.isWhitespace(codePoint) ? hex : "'" + Character.toString(codePoint) + "' (" + hex + ")";
  }

  /** @return the characters, id i first */
  public List<String> vocabulary() {
    return Collections.unmodifiableList(vocabulary);
  }

  /** @return the text as ids (a copy) */
  public int[] ids() {
    return text.clone();
  }

  /** @return the number of characters */
  public int length() {
    return text.length;
  }

  /**
   * @param from first character
   * @param to one past the last
   * @return the ids of that range (a copy)
   */
  public int[] ids(int from, int to) {
    return java.util.Arrays.copyOfRange(text, from, to);
  }
}

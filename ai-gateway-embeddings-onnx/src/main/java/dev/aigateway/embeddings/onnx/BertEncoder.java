package dev.aigateway.embeddings.onnx;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A sentence embedding model on ONNX Runtime that this module owns, so that it can release it: an
 * {@link OrtSession} over one of the model files LangChain4j's jars carry, and the model's
 * tokenizer, both native, both closed by {@link #close()}. It computes what LangChain4j's {@code
 * OnnxBertBiEncoder} computes, step for step and float for float (the text's word pieces in windows
 * of {@value #WINDOW}, each window run and pooled, the windows averaged by their number of pieces,
 * the result scaled to unit length), so its vectors are LangChain4j's to the last bit for every
 * text of at most {@value #MOST_WINDOWS} windows (LangChain4j reads every window of a text however
 * long); LangChain4j keeps its models in static fields, which nothing can release. The shared
 * {@link OrtEnvironment} (one a process) is not closed. Thread-safe, but {@link #close()} must not
 * run while a call does (the caller ensures it).
 */
final class BertEncoder implements AutoCloseable {

  /** The most word pieces one run of the model reads (its 512 positions less the two markers). */
  static final int WINDOW = 510;

  /**
   * The most windows of a text that are read (8,160 pieces, some 6,000 English words): a longer
   * text is embedded by its first {@value}, so the work of one call is bounded.
   */
  static final int MOST_WINDOWS = 16;

  private final OrtEnvironment environment;
  private final OrtSession session;
  private final Set<String> inputs;
  private final HuggingFaceTokenizer tokenizer;
  private final boolean clsPooling;

  private BertEncoder(
      OrtEnvironment environment,
      OrtSession session,
      HuggingFaceTokenizer tokenizer,
      boolean clsPooling)
      throws OrtException {
    this.environment = environment;
    this.session = session;
    this.inputs = session.getInputNames();
    this.tokenizer = tokenizer;
    this.clsPooling = clsPooling;
  }

  /**
   * Loads the model and its tokenizer from the class path.
   *
   * @param modelResource the ONNX file's absolute class-path resource
   * @param tokenizerResource the tokenizer's ({@code tokenizer.json}) absolute class-path resource
   * @param clsPooling whether the text's vector is its first marker's (bge), else the mean of every
   *     piece's
   */
  static BertEncoder load(String modelResource, String tokenizerResource, boolean clsPooling)
      throws IOException, OrtException {
    OrtEnvironment environment = OrtEnvironment.getEnvironment();
    OrtSession session = session(environment, modelResource);
    HuggingFaceTokenizer tokenizer = tokenizer(tokenizerResource, session);
    try {
      return new BertEncoder(environment, session, tokenizer, clsPooling);
    } catch (OrtException | RuntimeException e) {
      tokenizer.close();
      session.close();
      throw e;
    }
  }

  /**
   * The embedding of {@code text}, of unit length: of its first {@value #MOST_WINDOWS} windows when
   * it has more.
   *
   * @throws IllegalArgumentException when the text has no word piece
   * @throws OrtException when the model fails
   */
  float[] embed(String text) throws OrtException {
    List<String> tokens = tokenizer.tokenize(text);
    List<List<String>> windows = partition(tokens, WINDOW);
    if (windows.size() > MOST_WINDOWS) {
      windows = windows.subList(0, MOST_WINDOWS);
    }
    if (windows.isEmpty()) {
      throw new IllegalArgumentException("Cannot embed empty or whitespace-only text");
    }
    List<float[]> vectors = new ArrayList<>(windows.size());
    List<Integer> weights = new ArrayList<>(windows.size());
    for (List<String> window : windows) {
      vectors.add(run(window));
      weights.add(window.size());
    }
    return normalize(weightedAverage(vectors, weights));
  }

  /** The session, for tests that check it was closed. */
  OrtSession session() {
    return session;
  }

  /** Closes the session and the tokenizer; called once, with no call running. */
  @Override
  public void close() throws OrtException {
    try {
      tokenizer.close();
    } finally {
      session.close();
    }
  }

  /**
   * The word pieces between the two markers in windows of at most {@code size}, a window never
   * ending inside a word unless the word alone is longer (LangChain4j's partition).
   */
  static List<List<String>> partition(List<String> tokens, int size) {
    List<List<String>> windows = new ArrayList<>();
    int from = 1;
    while (from < tokens.size() - 1) {
      int to = from + size;
      if (to >= tokens.size() - 1) {
        to = tokens.size() - 1;
      } else {
        while (to > from && tokens.get(to).startsWith("##")) {
          to--;
        }
        if (to == from) {
          to = from + size;
        }
      }
      windows.add(tokens.subList(from, to));
      from = to;
    }
    return windows;
  }

  private float[] run(List<String> window) throws OrtException {
    Encoding encoding = tokenizer.encode(toText(window), true, false);
    long[] ids = encoding.getIds();
    long[] mask = encoding.getAttentionMask();
    long[] types = encoding.getTypeIds();
    long[] shape = {1, ids.length};
    try (OnnxTensor idTensor = OnnxTensor.createTensor(environment, LongBuffer.wrap(ids), shape);
        OnnxTensor maskTensor = OnnxTensor.createTensor(environment, LongBuffer.wrap(mask), shape);
        OnnxTensor typeTensor =
            OnnxTensor.createTensor(environment, LongBuffer.wrap(types), shape)) {
      Map<String, OnnxTensor> given = new HashMap<>();
      given.put("input_ids", idTensor);
      given.put("attention_mask", maskTensor);
      if (inputs.contains("token_type_ids")) {
        given.put("token_type_ids", typeTensor);
      }
      try (OrtSession.Result result = session.run(given)) {
        float[][] hidden = ((float[][][]) result.get(0).getValue())[0];
        return clsPooling ? hidden[0] : meanPool(hidden);
      }
    }
  }

  /** The text of a window's pieces: as the tokenizer joins them when that reads back the same. */
  private String toText(List<String> window) {
    String sentence = tokenizer.buildSentence(window);
    List<String> again = new LinkedList<>(tokenizer.tokenize(sentence));
    again.remove(0);
    again.remove(again.size() - 1);
    return again.equals(window) ? sentence : String.join("", window);
  }

  private static float[] meanPool(float[][] hidden) {
    int pieces = hidden.length;
    int dimensions = hidden[0].length;
    float[] pooled = new float[dimensions];
    for (float[] piece : hidden) {
      for (int d = 0; d < dimensions; d++) {
        pooled[d] += piece[d];
      }
    }
    for (int d = 0; d < dimensions; d++) {
      pooled[d] /= pieces;
    }
    return pooled;
  }

  private static float[] weightedAverage(List<float[]> vectors, List<Integer> weights) {
    if (vectors.size() == 1) {
      return vectors.get(0);
    }
    int dimensions = vectors.get(0).length;
    float[] average = new float[dimensions];
    int total = 0;
    for (int v = 0; v < vectors.size(); v++) {
      int weight = weights.get(v);
      total += weight;
      for (int d = 0; d < dimensions; d++) {
        average[d] += vectors.get(v)[d] * weight;
      }
    }
    for (int d = 0; d < dimensions; d++) {
      average[d] /= total;
    }
    return average;
  }

  private static float[] normalize(float[] vector) {
    float squares = 0;
    for (float x : vector) {
      squares += x * x;
    }
    float norm = (float) Math.sqrt(squares);
    float[] unit = new float[vector.length];
    for (int d = 0; d < vector.length; d++) {
      unit[d] = vector[d] / norm;
    }
    return unit;
  }

  /** A session over the ONNX file at the absolute class-path resource {@code modelResource}. */
  static OrtSession session(OrtEnvironment environment, String modelResource)
      throws IOException, OrtException {
    try (InputStream in = resource(modelResource)) {
      return environment.createSession(in.readAllBytes());
    }
  }

  /**
   * The tokenizer ({@code tokenizer.json}, without padding) at the absolute class-path resource
   * {@code tokenizerResource}, for {@code session}, which is closed when the tokenizer cannot be
   * loaded.
   */
  static HuggingFaceTokenizer tokenizer(String tokenizerResource, OrtSession session)
      throws IOException, OrtException {
    try (InputStream in = resource(tokenizerResource)) {
      return HuggingFaceTokenizer.newInstance(in, Map.of("padding", "false"));
    } catch (IOException | RuntimeException e) {
      session.close();
      throw e;
    }
  }

  private static InputStream resource(String path) throws IOException {
    InputStream in = BertEncoder.class.getResourceAsStream(path);
    if (in == null) {
      throw new IOException(path + " is not on the class path");
    }
    return in;
  }
}

package dev.aigateway.embeddings.onnx;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.aigateway.core.cache.TokenVectorModel;
import java.io.IOException;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * The contextual vectors of a text's words from a BERT-style ONNX model: the model's last hidden
 * state (one vector per word piece, before pooling), the pieces of each word averaged. It runs its
 * own ONNX session over the model file and tokenizer that the LangChain4j jar carries on the class
 * path (nothing downloaded), created on first use. The tokenizer truncates as configured in its
 * file (all-MiniLM-L6-v2's: 128 pieces with the two markers, so a longer text keeps its first 126);
 * at most {@value #MAX_PIECES} pieces are read in any case. Thread-safe.
 */
final class WordVectorSession {

  /** The most word pieces one run reads (the model's 512 positions less the two markers). */
  static final int MAX_PIECES = 510;

  private final String name;
  private final String modelResource;
  private final String tokenizerResource;
  private final LoadedOnce<Loaded> loaded;
  private final LongAdder tokenized = new LongAdder();

  private record Loaded(OrtEnvironment environment, OrtSession session, HuggingFaceTokenizer tok) {}

  /**
   * A session not loaded yet.
   *
   * @param name the model's name, in failures' messages
   * @param modelResource the ONNX file's absolute class-path resource
   * @param tokenizerResource the tokenizer's ({@code tokenizer.json}) absolute class-path resource
   */
  WordVectorSession(String name, String modelResource, String tokenizerResource) {
    this.name = name;
    this.modelResource = modelResource;
    this.tokenizerResource = tokenizerResource;
    this.loaded =
        new LoadedOnce<>(
            this::load, failure -> "could not load the word vectors of " + name + ": " + failure);
  }

  /** The words of {@code text} with their vectors in context. */
  TokenVectorModel.WordVectors wordVectors(String text) throws IOException {
    return run(text).words();
  }

  /**
   * The words of {@code text} in context and the text's embedding from the same run: every word
   * piece's vector (the two markers included) averaged and scaled to unit length, as the model's
   * mean pooling does; null when the tokenizer cut the text short.
   */
  MiniLmEmbeddingModel.EmbeddedWords run(String text) throws IOException {
    Objects.requireNonNull(text, "text");
    Loaded l = loaded();
    // The tokenizer is given only what it reads (ReadableText): what of the text it needs for its
    // first MAX_PIECES pieces and markers, which is at least as much as its own truncation keeps.
    ReadableText readable = ReadableText.of(text, MAX_PIECES + 2);
    String given = readable.text();
    tokenized.add(given.length());
    Encoding encoding = l.tok().encode(TokenizerReach.wellFormed(given), true, false);
    long[] ids = encoding.getIds();
    long[] wordIds = encoding.getWordIds();
    CharSpan[] spans = encoding.getCharTokenSpans();
    int n = Math.min(ids.length, MAX_PIECES + 2);
    long[] mask = new long[n];
    java.util.Arrays.fill(mask, 1);
    long[] shape = {1, n};
    float[][] hidden;
    try (OnnxTensor inputIds =
            OnnxTensor.createTensor(l.environment(), LongBuffer.wrap(truncate(ids, n)), shape);
        OnnxTensor attention =
            OnnxTensor.createTensor(l.environment(), LongBuffer.wrap(mask), shape);
        OnnxTensor types =
            OnnxTensor.createTensor(l.environment(), LongBuffer.wrap(new long[n]), shape)) {
      Map<String, OnnxTensor> inputs = new HashMap<>();
      inputs.put("input_ids", inputIds);
      inputs.put("attention_mask", attention);
      if (l.session().getInputNames().contains("token_type_ids")) {
        inputs.put("token_type_ids", types);
      }
      try (OrtSession.Result result = l.session().run(inputs)) {
        hidden = ((float[][][]) result.get(0).getValue())[0];
      }
    } catch (OrtException | RuntimeException e) {
      throw new IOException(
          name + " could not compute word vectors of a text of " + text.length() + " characters",
          e);
    }
    float[] pooled = null;
    boolean cut =
        ids.length > MAX_PIECES + 2
            || readable.cut()
            || encoding.exceedMaxLength()
            || encoding.getOverflowing() != null && encoding.getOverflowing().length > 0;
    if (!cut && hidden.length > 0) {
      pooled = new float[hidden[0].length];
      for (float[] piece : hidden) {
        for (int d = 0; d < pooled.length; d++) {
          pooled[d] += piece[d];
        }
      }
      double norm = 0;
      for (int d = 0; d < pooled.length; d++) {
        pooled[d] /= hidden.length;
        norm += pooled[d] * pooled[d];
      }
      norm = Math.sqrt(norm);
      for (int d = 0; d < pooled.length && norm > 0; d++) {
        pooled[d] /= (float) norm;
      }
    }
    List<String> words = new ArrayList<>();
    List<float[]> vectors = new ArrayList<>();
    long word = -1;
    int start = -1;
    int end = -1;
    float[] sum = null;
    int pieces = 0;
    for (int t = 0; t < n && t < hidden.length; t++) {
      long w = t < wordIds.length ? wordIds[t] : -1;
      boolean special = w < 0 || spans[t] == null;
      if (sum != null && (special || w != word)) {
        add(words, vectors, text, start, end, sum, pieces);
        sum = null;
      }
      if (special) {
        continue;
      }
      if (sum == null) {
        sum = new float[hidden[t].length];
        pieces = 0;
        word = w;
        start = readable.wholeIndex(TokenizerReach.charIndex(given, spans[t].getStart()));
      }
      end = readable.wholeIndex(TokenizerReach.charIndex(given, spans[t].getEnd()));
      for (int d = 0; d < sum.length; d++) {
        sum[d] += hidden[t][d];
      }
      pieces++;
    }
    if (sum != null) {
      add(words, vectors, text, start, end, sum, pieces);
    }
    return new MiniLmEmbeddingModel.EmbeddedWords(
        pooled, new TokenVectorModel.WordVectors(words, vectors));
  }

  /**
   * Closes the session and the tokenizer when they were loaded (not the process's shared {@link
   * OrtEnvironment}); called once, with no call running.
   */
  void close() throws OrtException {
    Loaded l = loaded.ifLoaded();
    if (l != null) {
      try {
        l.tok().close();
      } finally {
        l.session().close();
      }
    }
  }

  /** The session when it was loaded, else null: for tests that check it is closed. */
  @Nullable OrtSession sessionIfLoaded() {
    Loaded l = loaded.ifLoaded();
    return l == null ? null : l.session();
  }

  /** How many characters this has given the tokenizer so far (what bounds its work). */
  long charactersTokenized() {
    return tokenized.sum();
  }

  private static void add(
      List<String> words,
      List<float[]> vectors,
      String text,
      int start,
      int end,
      float[] sum,
      int pieces) {
    for (int d = 0; d < sum.length; d++) {
      sum[d] /= pieces;
    }
    int from = Math.max(0, Math.min(start, text.length()));
    int to = Math.max(from, Math.min(end, text.length()));
    words.add(text.substring(from, to).toLowerCase(Locale.ROOT));
    vectors.add(sum);
  }

  private static long[] truncate(long[] ids, int n) {
    if (ids.length == n) {
      return ids;
    }
    long[] out = java.util.Arrays.copyOf(ids, n);
    out[n - 1] = ids[ids.length - 1]; // keep the closing marker
    return out;
  }

  /** The session and tokenizer, loaded now unless they are already. */
  private Loaded loaded() throws IOException {
    return loaded.get();
  }

  private Loaded load() throws IOException, OrtException {
    OrtEnvironment environment = OrtEnvironment.getEnvironment();
    OrtSession session = BertEncoder.session(environment, modelResource);
    return new Loaded(environment, session, BertEncoder.tokenizer(tokenizerResource, session));
  }
}

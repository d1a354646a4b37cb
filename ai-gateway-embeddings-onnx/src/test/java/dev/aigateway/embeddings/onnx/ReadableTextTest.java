package dev.aigateway.embeddings.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tokenizer of all-MiniLM-L6-v2 is given only what it reads of a text ({@link ReadableText}): a
 * huge prompt costs what 128 word pieces cost, and every prompt is read, and embedded, to the last
 * bit as when the tokenizer was given the whole text.
 */
class ReadableTextTest {

  private static final Path SETS =
      Path.of("..", "benchmarks", "src", "main", "resources", "semantic-eval");

  private static final int MB = 1024 * 1024;

  private static HuggingFaceTokenizer tokenizer;

  private final MiniLmEmbeddingModel model = MiniLmEmbeddingModel.create();

  @BeforeAll
  static void loadTheTokenizerAlone() throws IOException {
    try (InputStream in =
        ReadableTextTest.class.getResourceAsStream(MiniLmEmbeddingModel.TOKENIZER)) {
      tokenizer = HuggingFaceTokenizer.newInstance(in, Map.of("padding", "false"));
    }
  }

  @AfterAll
  static void closeTheTokenizer() {
    tokenizer.close();
  }

  @Test
  void aHugePromptIsTokenizedOnlyAsFarAsTheModelReads() throws IOException {
    String sentence = "The deployment pipeline builds the service, runs the tests and ships it. ";
    String huge = sentence.repeat(20 * MB / sentence.length());
    String head = huge.substring(0, 16 * 1024);

    long before = model.charactersTokenized();
    int read = model.charactersRead(huge);
    float[] vector = model.embed(huge);
    long looked = model.charactersTokenized() - before;

    assertThat(looked)
        .as("characters the tokenizer was given for a prompt of %,d characters", huge.length())
        .isLessThan(4_000);
    assertThat(read).isEqualTo(wholeCharactersRead(head)).isLessThan(1_000);
    assertThat(vector).containsExactly(reference(head));
  }

  @Test
  void aHugeRunWithoutSpacesIsReadAsTheOneUnknownPieceItIs() throws IOException {
    String question = " Does the policy cover opened items?";
    String text = "x".repeat(20 * MB) + question;

    long before = model.charactersTokenized();
    int read = model.charactersRead(text);
    float[] vector = model.embed(text);
    long looked = model.charactersTokenized() - before;

    assertThat(looked).isLessThanOrEqualTo(2 * (ReadableText.RUN + 1 + question.length()));
    assertThat(read).as("one unknown piece and the question: read whole").isEqualTo(text.length());
    assertThat(vector).containsExactly(reference("x".repeat(300) + question));
  }

  @Test
  void wordsOfManyCombiningMarksAreTokenizedOnlyAsFarAsTheModelReads() throws IOException {
    String word = "a" + "\u0301".repeat(1_000) + " ";
    String text = word.repeat(20 * MB / word.length());
    String head = word.repeat(200);

    long before = model.charactersTokenized();
    int read = model.charactersRead(text);
    float[] vector = model.embed(text);
    long looked = model.charactersTokenized() - before;

    assertThat(looked).isLessThan(2 * 130 * (ReadableText.MARKS + 2));
    assertThat(read).isEqualTo(wholeCharactersRead(head));
    assertThat(vector).containsExactly(reference(head));
  }

  @Test
  void aLetterWithMillionsOfCombiningMarksIsTokenizedOnlyAsFarAsTheModelReads() throws IOException {
    String text = "a" + "\u0301".repeat(20 * MB) + " reset my password";

    long before = model.charactersTokenized();
    int read = model.charactersRead(text);
    float[] vector = model.embed(text);
    long looked = model.charactersTokenized() - before;

    assertThat(looked).isLessThan(2 * (ReadableText.MARKS + 20));
    assertThat(read).isEqualTo(text.length());
    assertThat(vector).containsExactly(reference("a reset my password"));
  }

  @Test
  void theJudgedSetsPromptsAreReadAndEmbeddedAsBefore() throws IOException {
    Set<String> prompts = judgedPrompts();
    List<String> shortened = new ArrayList<>();
    for (String prompt : prompts) {
      String given = ReadableText.of(prompt, TokenizerReach.PIECES).text();
      if (given != prompt) {
        shortened.add(prompt);
      }
    }

    assertThat(prompts).hasSizeGreaterThan(5_000);
    assertThat(shortened).as("prompts longer than the model reads").hasSizeGreaterThan(50);
    for (String prompt : shortened) {
      Encoding all = wholeEncoding(prompt);
      Encoding part =
          tokenizer.encode(
              TokenizerReach.wellFormed(ReadableText.of(prompt, TokenizerReach.PIECES).text()),
              true,
              true);
      assertThat(part.getIds()).as(prompt).containsExactly(all.getIds());
      assertThat(model.charactersRead(prompt))
          .as(prompt)
          .isEqualTo(wholeCharactersRead(prompt, all));
    }
    // Embedded by the model and by LangChain4j's own, given the whole text: 20 of them, spread.
    for (int k = 0; k < 20; k++) {
      String prompt = shortened.get(k * shortened.size() / 20);
      assertThat(model.embed(prompt)).as(prompt).containsExactly(reference(prompt));
      assertThat(model.wordVectors(prompt).words()).as(prompt).isEqualTo(wholeWords(prompt));
    }
  }

  @Test
  void mixedTextsAreReadAsWhenTheTokenizerIsGivenThemWhole() throws IOException {
    String[] parts = {
      "word",
      "Déjà",
      "vu",
      "naïve",
      "ÉCOLE",
      ",",
      ".",
      "!",
      "?",
      "(",
      ")",
      "\"",
      "'",
      "-",
      "/",
      "中文",
      "日本語のテキスト",
      "한국어",
      "привет",
      "Ελληνικά",
      "שלום",
      "مرحبا",
      "\uD83D\uDE00",
      "\uD83C\uDF89",
      "\u0301",
      "\u200B",
      "\u00A0",
      "\u3000",
      "\u2014",
      "\u00BF",
      "\t",
      "\n",
      "e\u0301",
      "x".repeat(150),
      "ab".repeat(200),
      "\u0301".repeat(300),
      "\u0007",
      "\uFFFD",
      "\uD800",
      "a\u0301".repeat(140),
      "mañana",
      "İstanbul",
      "ﬁ",
      "１２３",
      "。",
      "、",
      "\u0B95"
    };
    Random random = new Random(26);
    for (int n = 0; n < 1_500; n++) {
      StringBuilder text = new StringBuilder();
      int words = 1 + random.nextInt(random.nextBoolean() ? 40 : 400);
      for (int w = 0; w < words; w++) {
        text.append(parts[random.nextInt(parts.length)]);
        if (random.nextInt(3) > 0) {
          text.append(' ');
        }
      }
      String whole = text.toString();
      ReadableText readable = ReadableText.of(whole, TokenizerReach.PIECES);
      Encoding all = wholeEncoding(whole);
      Encoding part = tokenizer.encode(TokenizerReach.wellFormed(readable.text()), true, true);

      assertThat(part.getIds()).as(whole).containsExactly(all.getIds());
      assertThat(model.charactersRead(whole)).as(whole).isEqualTo(wholeCharactersRead(whole, all));
    }
  }

  @Test
  void aTextOfOnlyDroppedCharactersIsReadAtMostSoFar() throws IOException {
    String text = "\u0301 ".repeat(10 * MB) + "reset my password";

    ReadableText readable = ReadableText.of(text, TokenizerReach.PIECES);
    int read = model.charactersRead(text);

    assertThat(readable.cut()).isTrue();
    assertThat(readable.text()).hasSizeLessThanOrEqualTo(ReadableText.MOST);
    assertThat(read)
        .as("said to be read no further than the tokenizer was given")
        .isEqualTo(ReadableText.MOST)
        .isLessThan(text.length());
  }

  @Test
  void bothTruncatingTokenizersKeepTheNumberOfPiecesAssumed() throws IOException {
    for (String resource :
        List.of(MiniLmEmbeddingModel.TOKENIZER, "/all-minilm-l6-v2-q-tokenizer.json")) {
      try (InputStream in = ReadableTextTest.class.getResourceAsStream(resource)) {
        String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        assertThat(json.replace(" ", ""))
            .as(resource)
            .contains("\"max_length\":" + TokenizerReach.PIECES)
            .contains("\"max_input_chars_per_word\":100");
      }
    }
  }

  /** The tokenizer's encoding of the whole {@code text} (its truncation kept, as the model's). */
  private static Encoding wholeEncoding(String text) {
    return tokenizer.encode(TokenizerReach.wellFormed(text), true, true);
  }

  /** How many characters the model reads of {@code text}, the tokenizer given the whole text. */
  static int wholeCharactersRead(String text) {
    return wholeCharactersRead(text, wholeEncoding(text));
  }

  /**
   * How many characters the model reads of {@code text}, given its {@link #wholeEncoding} (which a
   * test that also compares its pieces computes once for both).
   */
  private static int wholeCharactersRead(String text, Encoding encoding) {
    boolean cut =
        encoding.exceedMaxLength()
            || encoding.getOverflowing() != null && encoding.getOverflowing().length > 0;
    if (!cut) {
      return text.length();
    }
    int end = 0;
    long[] special = encoding.getSpecialTokenMask();
    CharSpan[] spans = encoding.getCharTokenSpans();
    for (int t = 0; t < spans.length; t++) {
      if (spans[t] != null && special[t] == 0) {
        end = Math.max(end, spans[t].getEnd());
      }
    }
    return TokenizerReach.charIndex(text, end);
  }

  /** The words the model reads of {@code text}, the tokenizer given the whole text. */
  private static List<String> wholeWords(String text) {
    Encoding encoding = tokenizer.encode(TokenizerReach.wellFormed(text), true, false);
    long[] wordIds = encoding.getWordIds();
    CharSpan[] spans = encoding.getCharTokenSpans();
    List<String> words = new ArrayList<>();
    long word = -1;
    int start = -1;
    int end = -1;
    for (int t = 0; t < spans.length; t++) {
      boolean special = wordIds[t] < 0 || spans[t] == null;
      if (start >= 0 && (special || wordIds[t] != word)) {
        words.add(text.substring(start, end).toLowerCase(java.util.Locale.ROOT));
        start = -1;
      }
      if (special) {
        continue;
      }
      if (start < 0) {
        word = wordIds[t];
        start = TokenizerReach.charIndex(text, spans[t].getStart());
      }
      end = TokenizerReach.charIndex(text, spans[t].getEnd());
    }
    if (start >= 0) {
      words.add(text.substring(start, end).toLowerCase(java.util.Locale.ROOT));
    }
    return words;
  }

  /** LangChain4j's own embedding of {@code text}, its tokenizer given the whole text. */
  private static float[] reference(String text) {
    return ReferenceModel.MODEL.embed(text).content().vector();
  }

  private static final class ReferenceModel {
    static final AllMiniLmL6V2EmbeddingModel MODEL = new AllMiniLmL6V2EmbeddingModel();
  }

  private static Set<String> judgedPrompts() throws IOException {
    Set<String> prompts = new LinkedHashSet<>();
    try (DirectoryStream<Path> sets = Files.newDirectoryStream(SETS, "*.tsv")) {
      for (Path set : sets) {
        List<String> lines = Files.readAllLines(set, StandardCharsets.UTF_8);
        for (String line : lines.subList(1, lines.size())) {
          String[] row = line.split("\t", -1);
          if (row.length >= 4) {
            prompts.addAll(Arrays.asList(row[2], row[3]));
          }
        }
      }
    }
    return prompts;
  }
}

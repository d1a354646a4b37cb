package dev.aigateway.core.wire;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.core.tokens.TokenCounter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Amazon Bedrock's Converse API: {@code POST /model/{modelId}/converse} (one JSON answer) and
 * {@code /converse-stream} (an event stream), one message format for every model Bedrock hosts.
 *
 * <ul>
 *   <li>Allowance: {@code inferenceConfig.maxTokens}.
 *   <li>Prompt estimate: the text of {@code system[].text} and {@code messages[].content[]} ({@code
 *       text}, tool use names and inputs, tool results, reasoning), counted with the gateway's
 *       token counter, times 1.25, plus 4 tokens per message and per system block and 8 for the
 *       call; a text document ({@code source.text} or {@code .content}, or the bytes of a {@code
 *       txt}, {@code md}, {@code csv} or {@code html} document) its text, a {@code searchResult}'s
 *       source, title and text, other documents, images, videos and audio the counter's image bound
 *       each; tool definitions their compact JSON plus 8 each; the {@code text} of each of the
 *       {@code promptVariables} of a call on a prompt from Prompt management. Bedrock's models have
 *       tokenizers of their own (Claude's counts some 10–25 % more than the OpenAI encodings on
 *       English text, Llama 3's and Mistral's fewer), so the estimate is made to err high: the
 *       reservation is settled to the reported usage anyway.
 *   <li>Usage: the answer's {@code usage} ({@code inputTokens}, {@code outputTokens}, {@code
 *       totalTokens}, {@code cacheReadInputTokens}, {@code cacheWriteInputTokens}); in a stream,
 *       the closing {@code metadata} event's, which also marks the stream complete. Both are read
 *       on their bytes when written plainly ({@link ConverseUsage}), else as Jackson trees.
 *   <li>Replay: a stored answer as JSON or as the stream it would have been (text answers), a
 *       stored stream re-framed or, when it holds only text, as the JSON answer.
 * </ul>
 */
final class BedrockConverseFormat extends BedrockFormat {

  /** The body members that bound the output (before the instances, which take them). */
  private static final List<String> ALLOWANCE = List.of("/inferenceConfig/maxTokens");

  private static final List<String> TEMPERATURE = List.of("/inferenceConfig/temperature");

  static final BedrockConverseFormat CONVERSE =
      new BedrockConverseFormat("bedrock.converse", "converse", false);
  static final BedrockConverseFormat CONVERSE_STREAM =
      new BedrockConverseFormat("bedrock.converse_stream", "converse-stream", true);

  private static final int PER_MESSAGE = 4;
  private static final int PER_CALL = 8;
  private static final int PER_TOOL = 8;

  private BedrockConverseFormat(String name, String ending, boolean stream) {
    super(name, ending, stream, ALLOWANCE);
  }

  /**
   * Converse and ConverseStream: one protocol, whose answers InvokeModel's (the same body may be
   * valid for both, as Amazon Nova's is) do not share.
   */
  @Override
  public String cacheProtocol() {
    return "bedrock.converse";
  }

  /** None: Converse names its guardrail and trace in its body ({@code guardrailConfig}). */
  @Override
  public List<String> cacheHeaders() {
    return List.of();
  }

  /** {@code inferenceConfig.temperature}. */
  @Override
  public List<String> temperatureFields() {
    return TEMPERATURE;
  }

  @Override
  long estimate(TokenCounter counter, @Nullable String model, ObjectNode body) {
    long text = 0;
    long overhead = PER_CALL;
    for (JsonNode block : body.path("system")) {
      text += counter.countText(model, block.path("text").asText(""));
      long[] guarded = guardContent(counter, model, block.get("guardContent"));
      text += guarded[0];
      overhead += PER_MESSAGE + guarded[1];
    }
    for (JsonNode message : body.path("messages")) {
      overhead += PER_MESSAGE;
      for (JsonNode part : message.path("content")) {
        long[] counted = countPart(counter, model, part);
        text += counted[0];
        overhead += counted[1];
      }
    }
    for (JsonNode tool : body.path("toolConfig").path("tools")) {
      text += counter.countText(model, tool.toString());
      overhead += PER_TOOL;
    }
    text += promptVariables(counter, model, body.get("promptVariables"));
    return (text * 5 + 3) / 4 + overhead;
  }

  /**
   * The tokens of a call's {@code promptVariables} (a prompt from Prompt management: each
   * variable's {@code text}, which the prompt's template embeds); 0 for null or anything that is
   * not an object.
   */
  private static long promptVariables(
      TokenCounter counter, @Nullable String model, @Nullable JsonNode variables) {
    if (variables == null || !variables.isObject()) {
      return 0;
    }
    long counted = 0;
    for (JsonNode variable : variables) {
      JsonNode text = variable.get("text");
      if (text != null && text.isTextual()) {
        counted += counter.countText(model, text.textValue());
      }
    }
    return counted;
  }

  /** A content block's text tokens and fixed tokens (media). */
  private static long[] countPart(TokenCounter counter, String model, JsonNode part) {
    return countMembers(
        counter,
        model,
        part.get("text"),
        part.get("toolUse"),
        part.get("toolResult"),
        part.get("reasoningContent"),
        part.has("document"),
        part.get("document"),
        part.get("guardContent"),
        part.get("citationsContent"),
        part.get("searchResult"),
        part.has("image") || part.has("video") || part.has("audio"));
  }

  /**
   * A {@code guardContent} block's text tokens and fixed tokens: the text it wraps for a guardrail
   * to check ({@code text.text}), which the model reads as prompt like any text, and the image
   * bound for a guarded {@code image}; nothing for null or anything else.
   */
  private static long[] guardContent(
      TokenCounter counter, @Nullable String model, @Nullable JsonNode guard) {
    if (guard == null || !guard.isObject()) {
      return new long[] {0, 0};
    }
    JsonNode text = guard.path("text").get("text");
    return new long[] {
      text != null && text.isTextual() ? counter.countText(model, text.textValue()) : 0,
      guard.has("image") ? counter.imageTokens() : 0
    };
  }

  /**
   * A content block's text tokens and fixed tokens (media), from its members (null when absent):
   * its {@code text}, {@code toolUse}, {@code toolResult} and {@code reasoningContent}, its {@code
   * document} ({@link #documentText}: a text document's text, else the image bound), its {@code
   * guardContent} ({@link #guardContent}), the text of its {@code citationsContent} (a cited answer
   * sent back as history: each {@code content[].text}), the text of its {@code searchResult}
   * (retrieved content given to the model to cite: its {@code source}, {@code title} and each
   * {@code content[].text}), and whether it holds an image, a video or an audio clip.
   */
  private static long[] countMembers(
      TokenCounter counter,
      String model,
      @Nullable JsonNode text,
      @Nullable JsonNode toolUse,
      @Nullable JsonNode toolResult,
      @Nullable JsonNode reasoningContent,
      boolean hasDocument,
      @Nullable JsonNode document,
      @Nullable JsonNode guard,
      @Nullable JsonNode citations,
      @Nullable JsonNode searchResult,
      boolean media) {
    long[] guarded = guardContent(counter, model, guard);
    long counted = guarded[0] + searchResultText(counter, model, searchResult);
    long fixed = guarded[1];
    if (citations != null) {
      for (JsonNode cited : citations.path("content")) {
        JsonNode citedText = cited.get("text");
        if (citedText != null && citedText.isTextual()) {
          counted += counter.countText(model, citedText.textValue());
        }
      }
    }
    if (text != null) {
      counted += counter.countText(model, text.asText(""));
    }
    if (toolUse != null) {
      counted += counter.countText(model, toolUse.path("name").asText(""));
      counted += counter.countText(model, toolUse.path("input").toString());
    }
    if (toolResult != null) {
      for (JsonNode inner : toolResult.path("content")) {
        if (inner.has("json")) {
          counted += counter.countText(model, inner.get("json").toString());
        } else {
          long[] part = countPart(counter, model, inner);
          counted += part[0];
          fixed += part[1];
        }
      }
    }
    JsonNode reasoning =
        reasoningContent == null ? null : reasoningContent.path("reasoningText").get("text");
    if (reasoning != null) {
      counted += counter.countText(model, reasoning.asText(""));
    }
    if (hasDocument) {
      String documentText = documentText(document);
      if (documentText != null) {
        counted += counter.countText(model, documentText);
      } else {
        fixed += counter.imageTokens();
      }
    }
    if (media) {
      fixed += counter.imageTokens();
    }
    return new long[] {counted, fixed};
  }

  /**
   * The tokens of a {@code searchResult} block's text: its {@code source} and {@code title} (which
   * the model is shown to cite them by) and the {@code text} of each of its {@code content} blocks;
   * 0 for null or anything that is not an object.
   */
  private static long searchResultText(
      TokenCounter counter, @Nullable String model, @Nullable JsonNode searchResult) {
    if (searchResult == null || !searchResult.isObject()) {
      return 0;
    }
    long counted = 0;
    for (String name : List.of("source", "title")) {
      JsonNode value = searchResult.get(name);
      if (value != null && value.isTextual()) {
        counted += counter.countText(model, value.textValue());
      }
    }
    for (JsonNode block : searchResult.path("content")) {
      JsonNode text = block.get("text");
      if (text != null && text.isTextual()) {
        counted += counter.countText(model, text.textValue());
      }
    }
    return counted;
  }

  /** The document formats whose bytes are text, counted as such. */
  private static final Set<String> TEXT_FORMATS = Set.of("txt", "md", "csv", "html");

  /**
   * The text of a document block, or null when it is not text (a PDF, a Word or Excel file, a
   * document in S3, bytes that are not base64): its {@code source.text}, the {@code text} of its
   * {@code source.content} blocks, or its {@code source.bytes} decoded when its {@code format} is a
   * text format ({@code txt}, {@code md}, {@code csv}, {@code html}; UTF-8).
   */
  static @Nullable String documentText(@Nullable JsonNode document) {
    if (document == null) {
      return null;
    }
    JsonNode source = document.path("source");
    JsonNode text = source.get("text");
    if (text != null && text.isTextual()) {
      return text.textValue();
    }
    JsonNode content = source.get("content");
    if (content != null && content.isArray()) {
      StringBuilder joined = new StringBuilder();
      for (JsonNode block : content) {
        JsonNode blockText = block.get("text");
        if (blockText != null && blockText.isTextual()) {
          joined.append(blockText.textValue()).append('\n');
        }
      }
      return joined.toString();
    }
    JsonNode bytes = source.get("bytes");
    JsonNode format = document.get("format");
    if (bytes != null
        && bytes.isTextual()
        && format != null
        && format.isTextual()
        && TEXT_FORMATS.contains(format.textValue())) {
      try {
        return new String(
            Base64.getMimeDecoder().decode(bytes.textValue()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return null; // not base64: Bedrock refuses it; the image bound stands
      }
    }
    return null;
  }

  /**
   * The same estimate as {@link #estimate} of the body {@code bytes}, read with Jackson's streaming
   * parser instead of a tree: text values as they stand, tool uses, tool results, reasoning and
   * tool specs as small trees read by the same code as the whole tree's. -1 when the body is left
   * to the tree: not one JSON object, a member the estimate reads appearing twice in one object, or
   * one of another type than the usual (an object where an array belongs, a block that is not an
   * object, a text that is not a string).
   */
  @Override
  long streamedEstimate(TokenCounter counter, @Nullable String model, byte[] bytes) {
    try (JsonParser p = Json.MAPPER.getFactory().createParser(bytes)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return -1;
      }
      long[] sums = {0, PER_CALL}; // text, overhead
      int seen = 0; // bits: 1 system, 2 messages, 4 toolConfig, 8 promptVariables
      JsonToken token;
      while ((token = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        int bit =
            switch (name) {
              case "system" -> 1;
              case "messages" -> 2;
              case "toolConfig" -> 4;
              case "promptVariables" -> 8;
              default -> 0;
            };
        if ((seen & bit) != 0) {
          return -1;
        }
        seen |= bit;
        boolean usual =
            switch (bit) {
              case 1 -> system(counter, model, p, value, sums);
              case 2 -> messages(counter, model, p, value, sums);
              case 4 -> toolConfig(counter, model, p, value, sums);
              case 8 -> {
                sums[0] += promptVariables(counter, model, Json.MAPPER.readTree(p));
                yield true;
              }
              default -> {
                p.skipChildren();
                yield true;
              }
            };
        if (!usual) {
          return -1;
        }
      }
      if (token != JsonToken.END_OBJECT) {
        return -1;
      }
      return (sums[0] * 5 + 3) / 4 + sums[1];
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Whether a value that the tree iterates as an array is one the streaming read takes as such. */
  private static boolean arrayOrScalar(JsonParser p, JsonToken value) throws IOException {
    if (value == JsonToken.START_OBJECT) {
      return false; // the tree iterates an object's values: left to it
    }
    if (value != JsonToken.START_ARRAY) {
      p.skipChildren(); // a scalar: nothing to iterate
    }
    return true;
  }

  /** {@code system}: blocks whose {@code text} is counted, each a message's overhead. */
  private static boolean system(
      TokenCounter counter, @Nullable String model, JsonParser p, JsonToken value, long[] sums)
      throws IOException {
    if (!arrayOrScalar(p, value)) {
      return false;
    }
    if (value != JsonToken.START_ARRAY) {
      return true;
    }
    JsonToken block;
    while ((block = p.nextToken()) != JsonToken.END_ARRAY) {
      if (block != JsonToken.START_OBJECT) {
        return false;
      }
      String text = null;
      boolean textSeen = false;
      JsonNode guard = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        boolean isText = name.equals("text");
        JsonToken member = p.nextToken();
        if (name.equals("guardContent")) {
          if (guard != null) {
            return false;
          }
          guard = Json.MAPPER.readTree(p);
          continue;
        }
        if (!isText) {
          p.skipChildren();
          continue;
        }
        if (textSeen || member != JsonToken.VALUE_STRING) {
          return false;
        }
        textSeen = true;
        text = p.getText();
      }
      long[] guarded = guardContent(counter, model, guard);
      sums[0] += counter.countText(model, text == null ? "" : text) + guarded[0];
      sums[1] += PER_MESSAGE + guarded[1];
    }
    return true;
  }

  /** {@code messages}: each a message's overhead and its content blocks. */
  private static boolean messages(
      TokenCounter counter, @Nullable String model, JsonParser p, JsonToken value, long[] sums)
      throws IOException {
    if (!arrayOrScalar(p, value)) {
      return false;
    }
    if (value != JsonToken.START_ARRAY) {
      return true;
    }
    JsonToken message;
    while ((message = p.nextToken()) != JsonToken.END_ARRAY) {
      if (message != JsonToken.START_OBJECT) {
        return false;
      }
      sums[1] += PER_MESSAGE;
      boolean contentSeen = false;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        boolean isContent = p.currentName().equals("content");
        JsonToken member = p.nextToken();
        if (!isContent) {
          p.skipChildren();
          continue;
        }
        if (contentSeen || !arrayOrScalar(p, member)) {
          return false;
        }
        contentSeen = true;
        if (member == JsonToken.START_ARRAY && !contentBlocks(counter, model, p, sums)) {
          return false;
        }
      }
    }
    return true;
  }

  /** A message's content blocks, the parser on the array's opening bracket. */
  private static boolean contentBlocks(
      TokenCounter counter, @Nullable String model, JsonParser p, long[] sums) throws IOException {
    JsonToken part;
    while ((part = p.nextToken()) != JsonToken.END_ARRAY) {
      if (part != JsonToken.START_OBJECT) {
        return false;
      }
      JsonNode text = null;
      JsonNode toolUse = null;
      JsonNode toolResult = null;
      JsonNode reasoning = null;
      JsonNode document = null;
      JsonNode guard = null;
      JsonNode citations = null;
      JsonNode searchResult = null;
      boolean media = false;
      int seen = 0;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken member = p.nextToken();
        int bit =
            switch (name) {
              case "text" -> 1;
              case "toolUse" -> 2;
              case "toolResult" -> 4;
              case "reasoningContent" -> 8;
              case "document" -> 16;
              case "guardContent" -> 32;
              case "citationsContent" -> 64;
              case "searchResult" -> 128;
              default -> 0;
            };
        if (bit == 0) {
          media |= name.equals("image") || name.equals("video") || name.equals("audio");
          p.skipChildren();
          continue;
        }
        if ((seen & bit) != 0) {
          return false;
        }
        seen |= bit;
        if (bit == 1) {
          if (member != JsonToken.VALUE_STRING) {
            return false;
          }
          text = com.fasterxml.jackson.databind.node.TextNode.valueOf(p.getText());
          continue;
        }
        JsonNode node = Json.MAPPER.readTree(p);
        switch (bit) {
          case 2 -> toolUse = node;
          case 4 -> toolResult = node;
          case 16 -> document = node;
          case 32 -> guard = node;
          case 64 -> citations = node;
          case 128 -> searchResult = node;
          default -> reasoning = node;
        }
      }
      long[] counted =
          countMembers(
              counter,
              model,
              text,
              toolUse,
              toolResult,
              reasoning,
              (seen & 16) != 0,
              document,
              guard,
              citations,
              searchResult,
              media);
      sums[0] += counted[0];
      sums[1] += counted[1];
    }
    return true;
  }

  /** {@code toolConfig}: each of its {@code tools} counted as compact JSON, plus its overhead. */
  private static boolean toolConfig(
      TokenCounter counter, @Nullable String model, JsonParser p, JsonToken value, long[] sums)
      throws IOException {
    if (value != JsonToken.START_OBJECT) {
      p.skipChildren(); // the tree finds no tools under a non-object
      return true;
    }
    boolean toolsSeen = false;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      boolean isTools = p.currentName().equals("tools");
      JsonToken member = p.nextToken();
      if (!isTools) {
        p.skipChildren();
        continue;
      }
      if (toolsSeen || !arrayOrScalar(p, member)) {
        return false;
      }
      toolsSeen = true;
      if (member != JsonToken.START_ARRAY) {
        continue;
      }
      while (p.nextToken() != JsonToken.END_ARRAY) {
        sums[0] += counter.countText(model, Json.MAPPER.readTree(p).toString());
        sums[1] += PER_TOOL;
      }
    }
    return true;
  }

  /** The body's messages with their content blocks as OpenAI text parts, when text only. */
  @Override
  public @Nullable ObjectNode semanticBody(WireRequest request) {
    return SemanticBodies.converse(request.body());
  }

  @Override
  JsonBody.DocumentReader documentReader() {
    return BedrockConverseFormat::readAnswer;
  }

  /**
   * A Converse answer: its usage and, when it reports none or the text is kept, the text of its
   * message (as {@link ResponseReadout#text()} promises for a document). An answer that reports
   * usage is read on its bytes ({@link ConverseUsage}) when they allow it, else as a tree.
   */
  static void readAnswer(ResponseReadout readout, byte[] document, int from, int to) {
    if (!readout.keepsText() && to - from <= StrictJson.MAX_LENGTH) {
      ConverseUsage bytes = new ConverseUsage();
      if (bytes.read(document, from, to) && bytes.usage() != null) {
        readout.learnUsage(null, bytes.usage());
        readout.markComplete();
        return;
      }
    }
    readAnswerTree(readout, document, from, to);
  }

  /** A Converse answer read as a Jackson tree: its usage and the text of its message. */
  static void readAnswerTree(ResponseReadout readout, byte[] document, int from, int to) {
    JsonNode answer = Json.parseOrNull(document, from, to - from);
    if (answer == null || !answer.isObject()) {
      return;
    }
    readout.learnUsage(null, usage(answer.get("usage")));
    for (JsonNode part : answer.path("output").path("message").path("content")) {
      appendPartText(readout, part);
    }
    readout.markComplete();
  }

  private static void appendPartText(ResponseReadout readout, JsonNode part) {
    JsonNode text = part.get("text");
    if (text != null && text.isTextual()) {
      readout.appendText(text.textValue());
    }
    for (JsonNode cited : part.path("citationsContent").path("content")) {
      JsonNode citedText = cited.get("text");
      if (citedText != null && citedText.isTextual()) {
        readout.appendText(citedText.textValue());
      }
    }
    JsonNode toolUse = part.get("toolUse");
    if (toolUse != null) {
      readout.appendText(toolUse.path("name").asText(""));
      readout.appendText(toolUse.path("input").toString());
    }
    JsonNode reasoning = part.path("reasoningContent").path("reasoningText").get("text");
    if (reasoning != null && reasoning.isTextual()) {
      readout.appendText(reasoning.textValue());
    }
  }

  /** A Converse {@code usage} object in the library's terms; null when it reports no input. */
  static @Nullable Usage usage(@Nullable JsonNode usage) {
    if (usage == null || !usage.isObject()) {
      return null;
    }
    return usage(
        count(usage, "inputTokens"),
        count(usage, "outputTokens"),
        count(usage, "totalTokens"),
        count(usage, "cacheReadInputTokens"),
        count(usage, "cacheWriteInputTokens"));
  }

  /** A ConverseStream {@code metadata} event read as a Jackson tree: its usage; the end. */
  static void readMetadataTree(ResponseReadout readout, byte[] bytes, int from, int to) {
    JsonNode event = Json.parseOrNull(bytes, from, to - from);
    if (event != null) {
      readout.learnUsage(null, usage(event.get("usage")));
      readout.markComplete();
    }
  }

  /** A new reader per stream ({@link StreamReader}). */
  @Override
  EventStreamBody.MessageReader messageReader() {
    return new StreamReader();
  }

  private static void appendText(ResponseReadout readout, @Nullable JsonNode text) {
    if (text != null && text.isTextual()) {
      readout.appendText(text.textValue());
    }
  }

  /**
   * One ConverseStream's events: text deltas, tool-use starts, and the closing {@code metadata}. A
   * {@code contentBlockDelta} (nearly every event) is read on its bytes ({@link ObjectMembers}),
   * unless it is written in a way left to Jackson, and against the last text delta walked when it
   * is written alike up to its text ({@link TextTemplate}); the others that teach something are
   * parsed. One per stream; called on the reading thread only.
   */
  private static final class StreamReader implements EventStreamBody.MessageReader {
    private static final byte[] DELTA = ObjectMembers.quoted("delta");
    private static final byte[] TEXT = ObjectMembers.quoted("text");
    private static final byte[] TOOL_USE = ObjectMembers.quoted("toolUse");
    private static final byte[] INPUT = ObjectMembers.quoted("input");
    private static final byte[] REASONING = ObjectMembers.quoted("reasoningContent");

    private final ObjectMembers event = new ObjectMembers(DELTA);
    private final ObjectMembers delta = new ObjectMembers(TEXT, TOOL_USE, REASONING);
    private final ObjectMembers toolUse = new ObjectMembers(INPUT);
    private final ObjectMembers reasoning = new ObjectMembers(TEXT);
    private final ConverseUsage usage = new ConverseUsage();

    /** The last text-only delta walked, up to its text: the next ones are read against it. */
    private final TextTemplate deltas = new TextTemplate();

    /**
     * Checks a message's CRC itself: before it learns anything from a message but a content block's
     * text (a delta's, a tool use's name), which serves only the estimate when no usage comes; a
     * {@code metadata} event (its counts, the stream's end) and any other event have their CRC
     * checked first, so that a corrupt one stops the reading as before.
     */
    @Override
    public boolean checksCrcItself() {
      return true;
    }

    @Override
    public void read(ResponseReadout readout, EventStreamFrame frame) {
      String type = frame.eventType();
      if (!"contentBlockDelta".equals(type)
          && !"contentBlockStart".equals(type)
          && !frame.checked()) {
        return; // the reading stopped, as on any message that fails its CRC
      }
      if (type == null) {
        return;
      }
      byte[] bytes = frame.bytes();
      int from = frame.payloadFrom();
      int to = frame.payloadTo();
      switch (type) {
        case "contentBlockDelta" -> {
          if (!readDelta(readout, bytes, from, to)) {
            JsonNode event = Json.parseOrNull(bytes, from, to - from);
            JsonNode delta = event == null ? null : event.get("delta");
            if (delta != null) {
              appendText(readout, delta.get("text"));
              appendText(readout, delta.path("toolUse").get("input"));
              appendText(readout, delta.path("reasoningContent").get("text"));
            }
          }
        }
        case "contentBlockStart" -> {
          JsonNode event = Json.parseOrNull(bytes, from, to - from);
          if (event != null) {
            appendText(readout, event.path("start").path("toolUse").get("name"));
          }
        }
        case "metadata" -> {
          if (to - from <= StrictJson.MAX_LENGTH && usage.read(bytes, from, to)) {
            readout.learnUsage(null, usage.usage());
            readout.markComplete();
          } else {
            readMetadataTree(readout, bytes, from, to);
          }
        }
        default -> {}
      }
    }

    /**
     * Reads a delta's text, tool input and reasoning text, in that order, on its bytes; false,
     * having learnt nothing, when the event is written in a way left to Jackson.
     */
    private boolean readDelta(ResponseReadout readout, byte[] bytes, int from, int to) {
      int quote = deltas.quote(bytes, from, to);
      if (quote >= 0) {
        // written as the last delta walked up to its text: its text, the delta closed, then
        // members other than a delta (Bedrock's padding)
        int end = StrictJson.string(bytes, quote, to, true);
        if (TextTemplate.ends(bytes, closedAfter(bytes, end, to), to)) {
          readout.appendJsonString(bytes, quote, end);
          return true;
        }
      }
      if (!event.walk(bytes, from, to)) {
        return false;
      }
      if (!event.startsWith(bytes, 0, '{')) {
        return true; // no delta object: no text
      }
      if (!delta.walk(bytes, event.start(0), event.end(0))
          || delta.startsWith(bytes, 1, '{') && !toolUse.walk(bytes, delta.start(1), delta.end(1))
          || delta.startsWith(bytes, 2, '{')
              && !reasoning.walk(bytes, delta.start(2), delta.end(2))) {
        return false;
      }
      appendString(readout, bytes, delta, 0);
      if (delta.startsWith(bytes, 0, '"')
          && delta.start(1) < 0
          && delta.start(2) < 0
          && TextTemplate.ends(bytes, closedAfter(bytes, delta.end(0), to), to)) {
        deltas.keep(bytes, from, delta.start(0));
      }
      if (delta.startsWith(bytes, 1, '{')) {
        appendString(readout, bytes, toolUse, 0);
      }
      if (delta.startsWith(bytes, 2, '{')) {
        appendString(readout, bytes, reasoning, 0);
      }
      return true;
    }

    /**
     * Where the event ends when the delta's text, ending at {@code end}, is the delta's last member
     * and the delta is followed by members other than a delta only; -1 otherwise.
     */
    private static int closedAfter(byte[] bytes, int end, int to) {
      return TextTemplate.membersAfter(bytes, TextTemplate.closes(bytes, end, to), to, DELTA, 1);
    }

    private static void appendString(
        ResponseReadout readout, byte[] bytes, ObjectMembers members, int k) {
      if (members.startsWith(bytes, k, '"')) {
        readout.appendJsonString(bytes, members.start(k), members.end(k));
      }
    }
  }

  @Override
  public @Nullable Replayed replay(CachedResponse cached, boolean stream, boolean includeUsage) {
    boolean storedStream = cached.format() == CachedResponse.Format.SSE;
    byte[] body;
    if (stream) {
      body =
          storedStream
              ? BedrockReplay.reframed(cached.body())
              : BedrockReplay.converseAsStream(cached.body());
    } else {
      body = storedStream ? BedrockReplay.streamAsConverse(cached.body()) : cached.body();
    }
    if (body == null) {
      return null;
    }
    return new Replayed(body, stream ? EventStreamBody.CONTENT_TYPE : JSON_TYPE);
  }

  /**
   * An answer Converse's content filter cut off ({@code stopReason: "content_filtered"}), or whose
   * output or tool use the model failed to form ({@code malformed_model_output}, {@code
   * malformed_tool_use}), in a document or a stream's {@code messageStop}: the same call asked
   * again may well be answered whole, so the response cache does not keep it.
   */
  @Override
  public boolean failedAnswer(byte[] body, boolean stream) {
    return FailedAnswers.converseFailed(body, stream);
  }

  /**
   * A stream without the {@code messageStop} that gives its stop reason, though its {@code
   * metadata} came, or with a frame that does not decode or whose payload is not JSON: one pass
   * ({@link UnfinishedAnswers#converseStreamDefect}); a document gives its {@code stopReason}
   * whole.
   */
  @Override
  public @Nullable AnswerDefect answerDefect(byte[] body, boolean eventStream) {
    return eventStream ? UnfinishedAnswers.converseStreamDefect(body) : null;
  }

  /**
   * A {@code contentBlockDelta} event's {@code delta.text}: ConverseStream streams one message, so
   * every text is answer 0's (its text blocks read as one text, as the model wrote them). Tool
   * input and reasoning deltas are not answer text.
   */
  @Override
  public boolean readsEventTexts() {
    return true;
  }

  @Override
  public void frameText(EventStreamFrame frame, EventTexts sink) {
    if (!"contentBlockDelta".equals(frame.eventType())) {
      return;
    }
    JsonNode event =
        Json.parseOrNull(
            frame.bytes(), frame.payloadFrom(), frame.payloadTo() - frame.payloadFrom());
    JsonNode text = event == null ? null : event.path("delta").get("text");
    if (text != null && text.isTextual()) {
      sink.text(0, text.textValue());
    }
  }

  /** Converse's content blocks of {@code system} and {@code messages}. */
  @Override
  PromptTexts.Shape promptShape() {
    return PromptTexts.Shape.CONVERSE;
  }

  @Override
  public AnswerDocuments.Shape answerShape() {
    return AnswerDocuments.Shape.BEDROCK_CONVERSE;
  }
}

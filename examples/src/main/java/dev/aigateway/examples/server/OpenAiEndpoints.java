package dev.aigateway.examples.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.aigateway.examples.server.LoremModel.Answer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The answers of the OpenAI endpoints, in OpenAI's wire shapes: Chat Completions, (legacy)
 * Completions, Embeddings and Responses, each as JSON or as a server-sent event stream. Stateless
 * apart from its immutable settings, so one instance serves all threads.
 */
final class OpenAiEndpoints {

  static final ObjectMapper JSON = new ObjectMapper();

  private static final String FINGERPRINT = "fp_local0001";
  private static final char[] ID_ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

  /**
   * The most dimensions a request may ask an embedding for (the largest OpenAI embedding model's,
   * text-embedding-3-large), unless the server's own default is larger.
   */
  static final int MAX_EMBEDDING_DIMENSIONS = 3072;

  private final LocalOpenAiServer.Settings settings;
  private final LoremModel model;

  OpenAiEndpoints(LocalOpenAiServer.Settings settings) {
    this.settings = settings;
    this.model = new LoremModel(settings.completionWords());
  }

  /** {@code POST /v1/chat/completions}. */
  void chat(HttpExchange exchange, JsonNode body, String modelName) throws IOException {
    JsonNode messages = body.get("messages");
    if (messages == null || !messages.isArray()) {
      sendMissing(exchange, "messages");
      return;
    }
    Prompt prompt = Prompt.ofMessages(messages);
    Answer answer =
        model.answer(prompt.hash(), maxTokens(body, "max_completion_tokens", "max_tokens"));
    String id = randomId("chatcmpl-");
    long created = epochSecond();

    if (!isStream(body)) {
      ObjectNode reply = head(id, "chat.completion", created, modelName);
      ObjectNode choice = reply.putArray("choices").addObject();
      choice.put("index", 0);
      ObjectNode message = choice.putObject("message");
      message.put("role", "assistant");
      message.put("content", answer.text());
      message.putNull("refusal");
      message.putArray("annotations");
      choice.putNull("logprobs");
      choice.put("finish_reason", finishReason(answer));
      if (settings.reportUsage()) {
        reply.set("usage", chatUsage(prompt, answer));
      }
      reply.put("service_tier", "default");
      reply.put("system_fingerprint", FINGERPRINT);
      sendJson(exchange, reply);
      return;
    }

    boolean usage = includeUsage(body);
    try (EventStream stream = openStream(exchange)) {
      stream.awaitFirstToken();
      ObjectNode role = JSON.createObjectNode().put("role", "assistant").put("content", "");
      stream.data(chatChunk(id, created, modelName, role.putNull("refusal"), null, usage));
      stream.sendPieces(
          answer.pieces(),
          piece -> {
            ObjectNode delta = JSON.createObjectNode().put("content", piece);
            stream.data(chatChunk(id, created, modelName, delta, null, usage));
          });
      stream.data(
          chatChunk(id, created, modelName, JSON.createObjectNode(), finishReason(answer), usage));
      if (usage) {
        ObjectNode last = streamHead(id, "chat.completion.chunk", created, modelName);
        last.putArray("choices");
        last.set("usage", chatUsage(prompt, answer));
        stream.data(last);
      }
      stream.done();
    }
  }

  /** {@code POST /v1/completions}, the legacy text completion. */
  void completions(HttpExchange exchange, JsonNode body, String modelName) throws IOException {
    Prompt prompt = Prompt.ofText(body.get("prompt"));
    Answer answer = model.answer(prompt.hash(), maxTokens(body, "max_tokens"));
    String id = randomId("cmpl-");
    long created = epochSecond();

    if (!isStream(body)) {
      ObjectNode reply = head(id, "text_completion", created, modelName);
      textChoice(reply, answer.text(), finishReason(answer));
      if (settings.reportUsage()) {
        reply.set("usage", textUsage(prompt, answer));
      }
      sendJson(exchange, reply);
      return;
    }

    boolean usage = includeUsage(body);
    try (EventStream stream = openStream(exchange)) {
      stream.awaitFirstToken();
      stream.sendPieces(
          answer.pieces(),
          piece -> stream.data(textChunk(id, created, modelName, piece, null, usage)));
      stream.data(textChunk(id, created, modelName, "", finishReason(answer), usage));
      if (usage) {
        ObjectNode last = head(id, "text_completion", created, modelName);
        last.putArray("choices");
        last.set("usage", textUsage(prompt, answer));
        stream.data(last);
      }
      stream.done();
    }
  }

  /** {@code POST /v1/embeddings}: one pseudo-vector per input, as floats or base64. */
  void embeddings(HttpExchange exchange, JsonNode body, String modelName) throws IOException {
    JsonNode input = body.get("input");
    if (input == null || input.isNull()) {
      sendMissing(exchange, "input");
      return;
    }
    int dimensions = settings.embeddingDimensions();
    JsonNode asked = body.get("dimensions");
    if (asked != null && !asked.isNull()) {
      // as an OpenAI model answers dimensions it does not have; a huge number would otherwise be
      // a vector that does not fit the heap
      int most = Math.max(MAX_EMBEDDING_DIMENSIONS, settings.embeddingDimensions());
      if (!asked.isIntegralNumber()
          || !asked.canConvertToInt()
          || asked.intValue() < 1
          || asked.intValue() > most) {
        sendError(
            exchange,
            400,
            "Invalid 'dimensions': expected an integer from 1 to " + most + ", got " + asked + ".",
            "invalid_request_error",
            "dimensions",
            "invalid_value");
        return;
      }
      dimensions = asked.intValue();
    }
    boolean base64 = "base64".equals(body.path("encoding_format").asText());

    // One input is a string or a token array; several are an array of either.
    List<JsonNode> inputs = new ArrayList<>();
    if (input.isArray() && input.size() > 0 && !input.get(0).isNumber()) {
      input.forEach(inputs::add);
    } else {
      inputs.add(input);
    }

    ObjectNode reply = JSON.createObjectNode();
    reply.put("object", "list");
    ArrayNode data = reply.putArray("data");
    int tokens = 0;
    for (int i = 0; i < inputs.size(); i++) {
      JsonNode one = inputs.get(i);
      tokens += Prompt.ofText(one).tokens();
      float[] vector =
          LoremModel.embed(one.isTextual() ? one.textValue() : one.toString(), dimensions);
      ObjectNode item = data.addObject();
      item.put("object", "embedding");
      item.put("index", i);
      if (base64) {
        ByteBuffer bytes = ByteBuffer.allocate(4 * dimensions).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : vector) {
          bytes.putFloat(x);
        }
        item.put("embedding", Base64.getEncoder().encodeToString(bytes.array()));
      } else {
        ArrayNode values = item.putArray("embedding");
        for (float x : vector) {
          values.add(x);
        }
      }
    }
    reply.put("model", modelName);
    if (settings.reportUsage()) {
      reply.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
    }
    sendJson(exchange, reply);
  }

  /** {@code POST /v1/responses}, the Responses API. */
  void responses(HttpExchange exchange, JsonNode body, String modelName) throws IOException {
    Prompt prompt = Prompt.ofResponseInput(body.get("input"), body.get("instructions"));
    Answer answer = model.answer(prompt.hash(), maxTokens(body, "max_output_tokens"));
    String id = randomId("resp_");
    String messageId = randomId("msg_");
    long created = epochSecond();
    String status = answer.truncated() ? "incomplete" : "completed";

    if (!isStream(body)) {
      ObjectNode reply =
          response(id, created, modelName, status, message(messageId, status, answer.text()));
      reply.set("usage", responseUsage(prompt, answer));
      sendJson(exchange, reply);
      return;
    }

    try (EventStream stream = openStream(exchange)) {
      stream.awaitFirstToken();
      ObjectNode started = response(id, created, modelName, "in_progress", null);
      started.putNull("usage");
      stream.send(stream.newEvent("response.created").set("response", started));
      stream.send(stream.newEvent("response.in_progress").set("response", started));
      ObjectNode added = stream.newEvent("response.output_item.added").put("output_index", 0);
      added.set("item", message(messageId, "in_progress", null));
      stream.send(added);
      stream.send(
          contentEvent(stream, "response.content_part.added", messageId)
              .set("part", outputText("")));
      stream.sendPieces(
          answer.pieces(),
          piece -> {
            ObjectNode delta = contentEvent(stream, "response.output_text.delta", messageId);
            delta.put("delta", piece).putArray("logprobs");
            stream.send(delta);
          });
      ObjectNode textDone = contentEvent(stream, "response.output_text.done", messageId);
      textDone.put("text", answer.text()).putArray("logprobs");
      stream.send(textDone);
      stream.send(
          contentEvent(stream, "response.content_part.done", messageId)
              .set("part", outputText(answer.text())));
      ObjectNode itemDone = stream.newEvent("response.output_item.done").put("output_index", 0);
      itemDone.set("item", message(messageId, status, answer.text()));
      stream.send(itemDone);
      ObjectNode finished =
          response(id, created, modelName, status, message(messageId, status, answer.text()));
      finished.set("usage", responseUsage(prompt, answer));
      stream.send(stream.newEvent("response." + status).set("response", finished));
    }
  }

  /** Sends OpenAI's error shape: {@code {"error":{"message","type","param","code"}}}. */
  static void sendError(
      HttpExchange exchange, int status, String message, String type, String param, String code)
      throws IOException {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode error = body.putObject("error");
    error.put("message", message);
    error.put("type", type);
    error.put("param", param);
    error.put("code", code);
    send(exchange, status, body);
  }

  // ---- shapes shared by the endpoints

  private static ObjectNode head(String id, String object, long created, String model) {
    ObjectNode node = JSON.createObjectNode();
    node.put("id", id);
    node.put("object", object);
    node.put("created", created);
    node.put("model", model);
    return node;
  }

  private static ObjectNode streamHead(String id, String object, long created, String model) {
    ObjectNode node = head(id, object, created, model);
    node.put("service_tier", "default");
    node.put("system_fingerprint", FINGERPRINT);
    return node;
  }

  private static ObjectNode chatChunk(
      String id, long created, String model, ObjectNode delta, String finishReason, boolean usage) {
    ObjectNode chunk = streamHead(id, "chat.completion.chunk", created, model);
    ObjectNode choice = chunk.putArray("choices").addObject();
    choice.put("index", 0);
    choice.set("delta", delta);
    choice.putNull("logprobs");
    choice.put("finish_reason", finishReason);
    if (usage) {
      chunk.putNull("usage"); // OpenAI puts it last in every chunk when include_usage is set
    }
    return chunk;
  }

  private static ObjectNode textChunk(
      String id, long created, String model, String text, String finishReason, boolean usage) {
    ObjectNode chunk = head(id, "text_completion", created, model);
    textChoice(chunk, text, finishReason);
    if (usage) {
      chunk.putNull("usage");
    }
    return chunk;
  }

  private static void textChoice(ObjectNode reply, String text, String finishReason) {
    ObjectNode choice = reply.putArray("choices").addObject();
    choice.put("text", text);
    choice.put("index", 0);
    choice.putNull("logprobs");
    choice.put("finish_reason", finishReason);
  }

  private static ObjectNode chatUsage(Prompt prompt, Answer answer) {
    ObjectNode usage = textUsage(prompt, answer);
    usage.putObject("prompt_tokens_details").put("cached_tokens", 0).put("audio_tokens", 0);
    usage
        .putObject("completion_tokens_details")
        .put("reasoning_tokens", 0)
        .put("audio_tokens", 0)
        .put("accepted_prediction_tokens", 0)
        .put("rejected_prediction_tokens", 0);
    return usage;
  }

  private static ObjectNode textUsage(Prompt prompt, Answer answer) {
    return JSON.createObjectNode()
        .put("prompt_tokens", prompt.tokens())
        .put("completion_tokens", answer.tokens())
        .put("total_tokens", prompt.tokens() + answer.tokens());
  }

  private JsonNode responseUsage(Prompt prompt, Answer answer) {
    if (!settings.reportUsage()) {
      return JSON.nullNode();
    }
    ObjectNode usage = JSON.createObjectNode();
    usage.put("input_tokens", prompt.tokens());
    usage.putObject("input_tokens_details").put("cached_tokens", 0);
    usage.put("output_tokens", answer.tokens());
    usage.putObject("output_tokens_details").put("reasoning_tokens", 0);
    usage.put("total_tokens", prompt.tokens() + answer.tokens());
    return usage;
  }

  /** A response object; {@code output == null} gives one without output yet. */
  private static ObjectNode response(
      String id, long created, String model, String status, ObjectNode output) {
    ObjectNode response = JSON.createObjectNode();
    response.put("id", id);
    response.put("object", "response");
    response.put("created_at", created);
    response.put("status", status);
    response.putNull("error");
    if (status.equals("incomplete")) {
      response.putObject("incomplete_details").put("reason", "max_output_tokens");
    } else {
      response.putNull("incomplete_details");
    }
    response.put("model", model);
    ArrayNode items = response.putArray("output");
    if (output != null) {
      items.add(output);
    }
    return response;
  }

  /** An assistant message output item; {@code text == null} gives one without content yet. */
  private static ObjectNode message(String id, String status, String text) {
    ObjectNode message = JSON.createObjectNode();
    message.put("id", id);
    message.put("type", "message");
    message.put("status", status);
    ArrayNode content = message.putArray("content");
    if (text != null) {
      content.add(outputText(text));
    }
    message.put("role", "assistant");
    return message;
  }

  private static ObjectNode outputText(String text) {
    ObjectNode part = JSON.createObjectNode();
    part.put("type", "output_text");
    part.putArray("annotations");
    part.putArray("logprobs");
    part.put("text", text);
    return part;
  }

  private static ObjectNode contentEvent(EventStream stream, String type, String itemId) {
    return stream
        .newEvent(type)
        .put("item_id", itemId)
        .put("output_index", 0)
        .put("content_index", 0);
  }

  // ---- request reading

  private static boolean isStream(JsonNode body) {
    return body.path("stream").asBoolean(false);
  }

  /** Usage in a stream only when asked for, and only when this server plays a backend that can. */
  private boolean includeUsage(JsonNode body) {
    return settings.reportUsage() && body.path("stream_options").path("include_usage").asBoolean();
  }

  /** The first of these fields holding a positive integer, or 0 for no limit. */
  private static int maxTokens(JsonNode body, String... fields) {
    for (String field : fields) {
      JsonNode value = body.get(field);
      if (value != null && value.canConvertToInt() && value.intValue() > 0) {
        return value.intValue();
      }
    }
    return 0;
  }

  private static String finishReason(Answer answer) {
    return answer.truncated() ? "length" : "stop";
  }

  // ---- response writing

  private EventStream openStream(HttpExchange exchange) throws IOException {
    return new EventStream(exchange, JSON, settings.firstChunkDelay(), settings.chunkDelay());
  }

  private void sendJson(HttpExchange exchange, JsonNode body) throws IOException {
    EventStream.sleep(settings.responseDelay());
    send(exchange, 200, body);
  }

  private static void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static void sendMissing(HttpExchange exchange, String param) throws IOException {
    sendError(
        exchange,
        400,
        "Missing required parameter: '" + param + "'.",
        "invalid_request_error",
        param,
        "missing_required_parameter");
  }

  private static String randomId(String prefix) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    char[] id = new char[24];
    for (int i = 0; i < id.length; i++) {
      id[i] = ID_ALPHABET[random.nextInt(ID_ALPHABET.length)];
    }
    return prefix + new String(id);
  }

  private static long epochSecond() {
    return System.currentTimeMillis() / 1000;
  }
}

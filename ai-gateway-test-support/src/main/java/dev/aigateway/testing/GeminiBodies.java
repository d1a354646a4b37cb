package dev.aigateway.testing;

/**
 * Gemini requests and answers as tests use them, shaped as Google's REST reference documents them
 * (ai.google.dev/api/generate-content: the "magic backpack" text example, its {@code
 * GenerateContentResponse} with {@code usageMetadata} and {@code modelVersion}, and a {@code
 * streamGenerateContent} answer as server-sent events {@code data: {…}\r\n\r\n} and as one JSON
 * array). Usage is cumulative per chunk: only the last chunk carries the final counts, as Google's
 * streams do.
 */
public final class GeminiBodies {

  /** The model the fixtures name. */
  public static final String MODEL = "gemini-2.0-flash";

  /** A Gemini API path for {@link #MODEL}. */
  public static final String GENERATE_PATH = "/v1beta/models/" + MODEL + ":generateContent";

  /** The streaming method's path for {@link #MODEL}. */
  public static final String STREAM_PATH = "/v1beta/models/" + MODEL + ":streamGenerateContent";

  /** A request: one user turn, a system instruction, an output allowance of 200. */
  public static final String REQUEST =
      "{\"systemInstruction\":{\"parts\":[{\"text\":\"You are a storyteller.\"}]},"
          + "\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Write a story about a magic"
          + " backpack.\"}]}],"
          + "\"generationConfig\":{\"maxOutputTokens\":200,\"temperature\":1.0}}";

  /** The answer to {@link #REQUEST} as one document: 15 in (5 cached), 40 + 12 thoughts out. */
  public static final String ANSWER =
      "{\n"
          + "  \"candidates\": [\n"
          + "    {\n"
          + "      \"content\": {\n"
          + "        \"parts\": [\n"
          + "          {\n"
          + "            \"text\": \"Elara found the backpack in her grandmother's attic {\\\"a\\\"}.\"\n"
          + "          }\n"
          + "        ],\n"
          + "        \"role\": \"model\"\n"
          + "      },\n"
          + "      \"finishReason\": \"STOP\",\n"
          + "      \"avgLogprobs\": -0.3\n"
          + "    }\n"
          + "  ],\n"
          + "  \"usageMetadata\": {\n"
          + "    \"promptTokenCount\": 15,\n"
          + "    \"candidatesTokenCount\": 40,\n"
          + "    \"totalTokenCount\": 67,\n"
          + "    \"cachedContentTokenCount\": 5,\n"
          + "    \"thoughtsTokenCount\": 12,\n"
          + "    \"promptTokensDetails\": [{\"modality\": \"TEXT\", \"tokenCount\": 15}],\n"
          + "    \"candidatesTokensDetails\": [{\"modality\": \"TEXT\", \"tokenCount\": 40}]\n"
          + "  },\n"
          + "  \"modelVersion\": \"gemini-2.0-flash-001\",\n"
          + "  \"responseId\": \"mAitaLmkHPPlz7IPvtfUqQ4\"\n"
          + "}\n";

  private static final String[] CHUNKS = {
    "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Elara found\"}],\"role\": \"model\"}}],"
        + "\"usageMetadata\": {\"promptTokenCount\": 15,\"totalTokenCount\": 15},"
        + "\"modelVersion\": \"gemini-2.0-flash-001\"}",
    "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" the backpack}]\\\" [in]\"}],"
        + "\"role\": \"model\"}}],"
        + "\"usageMetadata\": {\"promptTokenCount\": 15,\"candidatesTokenCount\": 20,"
        + "\"totalTokenCount\": 35},\"modelVersion\": \"gemini-2.0-flash-001\"}",
    "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" the attic.\"}],\"role\": \"model\"},"
        + "\"finishReason\": \"STOP\"}],"
        + "\"usageMetadata\": {\"promptTokenCount\": 15,\"candidatesTokenCount\": 41,"
        + "\"totalTokenCount\": 56,\"promptTokensDetails\": [{\"modality\": \"TEXT\","
        + "\"tokenCount\": 15}]},\"modelVersion\": \"gemini-2.0-flash-001\"}"
  };

  /** The streamed text, whole. */
  public static final String STREAM_TEXT = "Elara found the backpack}]\" [in] the attic.";

  /** The answer to {@link #REQUEST} streamed with {@code alt=sse}: 15 in, 41 out, in the last. */
  public static final String EVENTS = events();

  /** The same stream without {@code alt=sse}: one JSON array, as Google formats it. */
  public static final String ARRAY = array();

  private GeminiBodies() {}

  private static String events() {
    StringBuilder out = new StringBuilder();
    for (String chunk : CHUNKS) {
      out.append("data: ").append(chunk).append("\r\n\r\n");
    }
    return out.toString();
  }

  private static String array() {
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < CHUNKS.length; i++) {
      out.append(i == 0 ? "" : "\n,\r\n").append(CHUNKS[i]);
    }
    return out.append("]").toString();
  }

  /** The stream's chunks, each a {@code GenerateContentResponse}. */
  public static String[] chunks() {
    return CHUNKS.clone();
  }
}

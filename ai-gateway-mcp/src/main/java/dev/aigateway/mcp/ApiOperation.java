package dev.aigateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import org.jspecify.annotations.Nullable;

/**
 * One operation of an OpenAPI document made into a tool: its name, description and input schema,
 * and how a call's arguments become the HTTP request (path parameters substituted and encoded,
 * query parameters, headers, a JSON body).
 */
record ApiOperation(
    String name,
    String description,
    String method,
    String path,
    List<Param> params,
    @Nullable String bodyProperty,
    @Nullable String bodyType,
    boolean bodyRequired,
    ObjectNode inputSchema) {

  private static final Pattern TEMPLATE = Pattern.compile("\\{([^}/]+)}");

  /** Where a parameter goes. */
  enum Location {
    PATH,
    QUERY,
    HEADER
  }

  /** A parameter: an array in the query is repeated when exploded, else comma-separated. */
  record Param(String name, Location in, boolean required, boolean exploded) {}

  /**
   * The HTTP request for {@code arguments} against {@code base}.
   *
   * @throws IllegalArgumentException naming the argument, when one is missing or unusable
   */
  Request request(HttpUrl base, ObjectNode arguments) {
    List<String> missing = new ArrayList<>();
    for (Param param : params) {
      if (param.required() && isAbsent(arguments.get(param.name()))) {
        missing.add(param.name());
      }
    }
    if (bodyProperty != null && bodyRequired && isAbsent(arguments.get(bodyProperty))) {
      missing.add(bodyProperty);
    }
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(
          "missing required argument"
              + (missing.size() > 1 ? "s " : " ")
              + String.join(", ", missing));
    }
    HttpUrl.Builder url = base.newBuilder();
    for (String segment : path.split("/")) {
      if (segment.isEmpty()) {
        continue;
      }
      url.addPathSegment(substitute(segment, arguments));
    }
    Request.Builder request = new Request.Builder();
    for (Param param : params) {
      JsonNode value = arguments.get(param.name());
      if (isAbsent(value)) {
        continue;
      }
      switch (param.in()) {
        case QUERY -> {
          if (value.isArray()) {
            if (param.exploded()) {
              value.forEach(v -> url.addQueryParameter(param.name(), scalar(param.name(), v)));
            } else {
              url.addQueryParameter(param.name(), joined(param.name(), value));
            }
          } else {
            url.addQueryParameter(param.name(), scalar(param.name(), value));
          }
        }
        case HEADER ->
            request.header(
                param.name(),
                value.isArray() ? joined(param.name(), value) : scalar(param.name(), value));
        case PATH -> {
          // substituted above
        }
      }
    }
    RequestBody body = null;
    JsonNode bodyValue = bodyProperty == null ? null : arguments.get(bodyProperty);
    if (bodyProperty != null && !isAbsent(bodyValue)) {
      body =
          RequestBody.create(
              bodyValue.toString().getBytes(StandardCharsets.UTF_8),
              MediaType.parse(bodyType == null ? "application/json" : bodyType));
    } else if (method.equals("POST") || method.equals("PUT") || method.equals("PATCH")) {
      body = RequestBody.create(new byte[0], null);
    }
    return request.url(url.build()).method(method, body).build();
  }

  private String substitute(String segment, ObjectNode arguments) {
    Matcher matcher = TEMPLATE.matcher(segment);
    StringBuilder out = new StringBuilder();
    List<String> names = new ArrayList<>();
    while (matcher.find()) {
      String name = matcher.group(1);
      names.add(name);
      JsonNode value = arguments.get(name);
      if (isAbsent(value)) {
        throw new IllegalArgumentException("missing required argument " + name);
      }
      matcher.appendReplacement(
          out,
          Matcher.quoteReplacement(value.isArray() ? joined(name, value) : scalar(name, value)));
    }
    matcher.appendTail(out);
    String substituted = out.toString();
    if (!names.isEmpty()
        && (substituted.isEmpty() || substituted.equals(".") || substituted.equals(".."))) {
      // OkHttp would drop the segment ("", "."), or it and the one before it (".."): the request
      // would go to another path than the operation's
      throw new IllegalArgumentException(
          "argument "
              + String.join(", ", names)
              + " must not make a path segment empty, '.' or '..'");
    }
    return substituted;
  }

  private static boolean isAbsent(@Nullable JsonNode value) {
    return value == null || value.isNull() || value.isMissingNode();
  }

  private static String joined(String name, JsonNode array) {
    List<String> parts = new ArrayList<>();
    array.forEach(v -> parts.add(scalar(name, v)));
    return String.join(",", parts);
  }

  private static String scalar(String name, JsonNode value) {
    if (value.isValueNode()) {
      return value.asText();
    }
    throw new IllegalArgumentException(
        "argument " + name + " must be a string, number or boolean but was " + value.getNodeType());
  }
}

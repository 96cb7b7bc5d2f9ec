package dev.kurz.link;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.zxing.BinaryBitmap;
import com.google.zxing.client.j2se.BufferedImageLuminanceSource;
import com.google.zxing.common.HybridBinarizer;
import com.google.zxing.qrcode.QRCodeReader;
import dev.kurz.support.TestNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

/** {@code GET /api/v1/links/{code}/qr}: what a phone camera and a browser would make of it. */
class QrCodeTest {

    @TempDir
    static Path dir;
    static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start(dir, Map.of());
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void thePngDecodesToTheShortUrl() throws Exception {
        String code = node.create("""
                {"url": "https://example.com/qr", "title": "on paper"}""");
        HttpResponse<byte[]> r = bytes("/api/v1/links/" + code + "/qr?format=png&size=300");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("image/png");
        assertThat(r.headers().firstValue("Cache-Control")).hasValue("public, max-age=86400");
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(r.body()));
        assertThat(image.getWidth()).isEqualTo(300);
        assertThat(image.getHeight()).isEqualTo(300);
        assertThat(decode(image)).isEqualTo("http://kurz.test/" + code);
        // The default is a 256-pixel PNG.
        BufferedImage plain = ImageIO.read(new ByteArrayInputStream(bytes("/api/v1/links/" + code + "/qr").body()));
        assertThat(plain.getWidth()).isEqualTo(256);
        assertThat(decode(plain)).isEqualTo("http://kurz.test/" + code);
    }

    @Test
    void theSvgIsWellFormedAndSized() throws Exception {
        String code = node.create("""
                {"url": "https://example.com/qr-svg"}""");
        TestNode.Response r = node.get("/api/v1/links/" + code + "/qr?format=svg&size=128");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("image/svg+xml");
        assertThat(r.header("Content-Security-Policy")).isEqualTo("default-src 'none'");
        var factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document svg = factory.newDocumentBuilder().parse(new ByteArrayInputStream(r.body().getBytes()));
        var root = svg.getDocumentElement();
        assertThat(root.getLocalName()).isEqualTo("svg");
        assertThat(root.getNamespaceURI()).isEqualTo("http://www.w3.org/2000/svg");
        assertThat(root.getAttribute("width")).isEqualTo("128");
        assertThat(root.getAttribute("viewBox")).matches("0 0 (\\d+) \\1");
        assertThat(svg.getElementsByTagNameNS("http://www.w3.org/2000/svg", "path").getLength()).isEqualTo(1);
        assertThat(r.body()).doesNotContain("<script");
    }

    @Test
    void badParametersAre400AndUnknownCodes404() {
        String code = node.create("""
                {"url": "https://example.com/qr-bad"}""");
        var tooBig = node.get("/api/v1/links/" + code + "/qr?size=5000").problem(400);
        assertThat(tooBig.path("errors").get(0).path("field").asText()).isEqualTo("size");
        node.get("/api/v1/links/" + code + "/qr?size=63").problem(400);
        node.get("/api/v1/links/" + code + "/qr?size=12abc").problem(400);
        var both = node.get("/api/v1/links/" + code + "/qr?format=gif&size=0").problem(400);
        assertThat(both.path("errors")).hasSize(2);
        node.get("/api/v1/links/nosuchcode/qr").problem(404);
        node.patch("/api/v1/links/" + code, """
                {"disabled": true}""");
        node.get("/api/v1/links/" + code + "/qr").problem(404);
    }

    @Test
    void thePreviewPageShowsTheQrCode() {
        String code = node.create("""
                {"url": "https://example.com/qr-preview"}""");
        String page = node.get("/" + code + "+").body();
        assertThat(page).contains("<img class=\"qr-large\" src=\"/api/v1/links/" + code + "/qr?format=svg&amp;size=192\"");
    }

    private static String decode(BufferedImage image) throws Exception {
        var bitmap = new BinaryBitmap(new HybridBinarizer(new BufferedImageLuminanceSource(image)));
        return new QRCodeReader().decode(bitmap).getText();
    }

    private static HttpResponse<byte[]> bytes(String path) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create(node.base + path)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        }
    }
}

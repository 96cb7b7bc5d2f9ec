package dev.kurz.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.kurz.support.TestNode;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web UI in a real browser: Debian's headless Chromium driven through chromedriver, against a
 * real node and a real target page on 127.0.0.1. Not part of {@code ./mvnw verify} (CI machines
 * may have no Chromium): {@code scripts/browser-test} installs Chromium and runs it
 * ({@code ./mvnw -Pbrowser test}). Screenshots land in {@code target/screenshots/}.
 */
@Tag("browser")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // the key saved by the first shows in the second's screenshots
class WebUiBrowserTest {

    private static final String CHROMIUM = System.getProperty("kurz.chromium", "/usr/bin/chromium");
    private static final String CHROMEDRIVER = System.getProperty("kurz.chromedriver", "/usr/bin/chromedriver");
    /** An ordinary desktop browser: headless Chromium's own user agent counts as a bot. */
    private static final String USER_AGENT =
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
    private static final Path SCREENSHOTS = Path.of("target/screenshots");

    @TempDir
    static Path dir;
    static TestNode node;
    static HttpServer target;
    static ChromeDriver browser;
    static WebDriverWait wait;

    @BeforeAll
    static void start() throws IOException {
        target = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        target.createContext("/landing", exchange -> {
            byte[] page = """
                    <!doctype html><html><head><title>kurz target page</title></head>
                    <body><h1 id="arrived">You followed a kurz link</h1></body></html>
                    """.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, page.length);
            exchange.getResponseBody().write(page);
            exchange.close();
        });
        target.start();

        // Short links must work in the browser, so the base URL is the node's real address.
        int port = freePort();
        node = TestNode.start(dir.resolve("data"), Map.of("KURZ_PORT", String.valueOf(port),
                "KURZ_BASE_URL", "http://127.0.0.1:" + port));

        // Never Selenium Manager (it would download a browser): the driver and browser are given.
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER);
        var service = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER)).build();
        var options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-quic", "--user-data-dir=" + dir.resolve("chromium"), "--user-agent=" + USER_AGENT,
                "--window-size=1280,900");
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, Duration.ofSeconds(20));
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (node != null) {
            node.close();
        }
        if (target != null) {
            target.stop(0);
        }
    }

    @Test
    @Order(2)
    void shortenFollowAndSeeTheClickInTheChart() throws IOException {
        browser.manage().window().setSize(new Dimension(1280, 900));
        browser.get(node.base + "/");
        String targetUrl = "http://127.0.0.1:" + target.getAddress().getPort() + "/landing";
        wait.until(ExpectedConditions.elementToBeClickable(By.id("url"))).sendKeys(targetUrl);
        browser.findElement(By.id("shorten")).click();
        WebElement shortLink = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("short-url")));
        String shortUrl = shortLink.getText();
        assertThat(shortUrl).startsWith(node.base + "/");
        String code = shortUrl.substring(shortUrl.lastIndexOf('/') + 1);
        wait.until(d -> (Boolean) js("const img = document.getElementById('qr'); return img.complete && img.naturalWidth > 0;"));
        screenshot("home-desktop.png");

        browser.get(shortUrl);
        wait.until(ExpectedConditions.titleIs("kurz target page"));
        assertThat(browser.findElement(By.id("arrived")).getText()).isEqualTo("You followed a kurz link");
        node.flushClicks(); // the flusher's interval is an hour in tests

        browser.get(node.base + "/#/stats/" + code);
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#series tbody tr")));
        // The click, in the chart itself (Chart.js's data) and in the table beside it.
        List<?> people = (List<?>) js("return Chart.getChart(document.getElementById('clicks-chart')).data.datasets[0].data;");
        assertThat(people.stream().mapToLong(v -> ((Number) v).longValue()).sum()).isEqualTo(1);
        long inTable = browser.findElements(By.cssSelector("#series td.human")).stream()
                .mapToLong(td -> Long.parseLong(td.getAttribute("textContent").trim())).sum();
        assertThat(inTable).isEqualTo(1);
        assertThat(browser.findElement(By.id("clicks-chart")).getAttribute("data-total-human")).isEqualTo("1");
        assertThat(browser.findElement(By.cssSelector("[data-dim=browsers]")).getText()).contains("Chrome");
        screenshot("stats-desktop.png");

        browser.manage().window().setSize(new Dimension(390, 844));
        browser.navigate().refresh();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#series tbody tr")));
        assertThat((Boolean) js("return document.documentElement.scrollWidth <= window.innerWidth;"))
                .as("no sideways scrolling at phone width").isTrue();
        screenshot("stats-phone.png");
        assertNoCspViolations();
    }

    @Test
    @Order(1)
    void anApiKeyListsSearchesAndEditsLinks() throws IOException {
        String mine = node.create("""
                {"url": "https://example.com/listed", "title": "Listed <b>not bold</b>"}""");
        browser.manage().window().setSize(new Dimension(1280, 900));
        browser.get(node.base + "/");
        js("localStorage.clear();");
        browser.navigate().refresh();
        wait.until(ExpectedConditions.elementToBeClickable(By.id("api-key"))).sendKeys(node.adminKey());
        browser.findElement(By.cssSelector(".key-form button")).click();
        WebElement row = wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("#links tr[data-code='" + mine + "']")));
        // Escaped, not rendered: the title's markup shows as text.
        assertThat(row.getText()).contains("Listed <b>not bold</b>");
        assertThat(row.findElements(By.tagName("b"))).isEmpty();
        // The key is in this browser's storage and in no URL.
        assertThat((String) js("return localStorage.getItem('kurz.apiKey');")).isEqualTo(node.adminKey());
        assertThat(browser.getCurrentUrl()).doesNotContain(node.adminKey());

        browser.findElement(By.id("search")).sendKeys("no-such-link-anywhere");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("links-body"), "No link matches."));
        browser.findElement(By.id("search")).clear();
        browser.findElement(By.id("search")).sendKeys(mine);
        row = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#links tr[data-code='" + mine + "']")));
        screenshot("list-desktop.png");

        row.findElement(By.xpath(".//button[text()='Disable']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector("#links tr[data-code='" + mine + "']"), "disabled"));
        assertThat(node.get("/" + mine).status()).isEqualTo(404);
        browser.manage().window().setSize(new Dimension(390, 844));
        screenshot("list-phone.png");

        By mineRow = By.cssSelector("#links tr[data-code='" + mine + "']");
        browser.findElement(mineRow).findElement(By.xpath(".//button[text()='Edit']")).click();
        WebElement title = wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("form.edit input[aria-label='Title']")));
        title.clear();
        title.sendKeys("Renamed in the browser");
        browser.findElement(By.cssSelector("form.edit button[type=submit]")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(mineRow, "Renamed in the browser"));
        assertThat(node.get("/api/v1/links/" + mine, TestNode.bearer(node.adminKey())).json().path("title").asText())
                .isEqualTo("Renamed in the browser");

        browser.findElement(mineRow).findElement(By.xpath(".//button[text()='Delete']")).click();
        wait.until(ExpectedConditions.alertIsPresent()).accept();
        wait.until(ExpectedConditions.invisibilityOfElementLocated(mineRow));
        assertThat(node.get("/api/v1/links/" + mine, TestNode.bearer(node.adminKey())).status()).isEqualTo(404);
        assertNoCspViolations();
    }

    @Test
    @Order(3)
    void theApiReferenceRendersTheOpenApiDocument() throws IOException {
        browser.manage().window().setSize(new Dimension(1280, 900));
        browser.get(node.base + "/docs");
        wait.until(ExpectedConditions.numberOfElementsToBeMoreThan(By.cssSelector(".opblock"), 20));
        assertThat(browser.findElement(By.cssSelector(".info .title")).getText()).startsWith("kurz");
        assertThat(browser.findElements(By.cssSelector(".opblock-summary-path")).stream().map(WebElement::getText))
                .contains("/api/v1/links/{code}/qr", "/{code}");
        screenshot("docs-desktop.png");
        assertNoCspViolations();
    }

    private static void assertNoCspViolations() {
        assertThat((String) js("return document.body.dataset.cspViolations || '';")).as("CSP violations").isEmpty();
    }

    private static Object js(String script) {
        return ((JavascriptExecutor) browser).executeScript(script);
    }

    private static void screenshot(String name) throws IOException {
        Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(shot, SCREENSHOTS.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }

    private static int freePort() throws IOException {
        try (var socket = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}

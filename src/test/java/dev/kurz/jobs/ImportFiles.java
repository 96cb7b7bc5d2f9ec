package dev.kurz.jobs;

import java.nio.charset.StandardCharsets;

/**
 * Generated import files: {@code rows} links in one format, code {@code <prefix><i>}, target
 * {@code https://example.com/<prefix>/<i>}, title "Title <i>", created 2020-01-01T00:00:00Z.
 */
final class ImportFiles {

    private ImportFiles() {}

    static final long CREATED = 1_577_836_800_000L; // 2020-01-01T00:00:00Z

    static String url(String prefix, int i) {
        return "https://example.com/" + prefix + "/" + i;
    }

    static byte[] generate(ImportFormat format, String prefix, int rows) {
        var out = new StringBuilder(rows * 96);
        switch (format) {
            case KURZ_CSV -> out.append("code,url,title,created_at,expires_at,max_clicks,redirect_status,disabled,"
                    + "password_protected,clicks\n");
            case CSV -> out.append("url,alias,title,created,expires\n");
            case BITLY_CSV -> out.append("Title,Link,Custom Link,Destination URL,Date Created\n");
            case SHLINK_CSV -> out.append("createdAt,domain,shortCode,shortUrl,longUrl,title,tags,visits\n");
            case YOURLS_SQL -> out.append("""
                    -- MySQL dump 10.13
                    /*!40101 SET NAMES utf8mb4 */;
                    DROP TABLE IF EXISTS `yourls_url`;
                    CREATE TABLE `yourls_url` (`keyword` varchar(100) NOT NULL, `url` text NOT NULL);
                    INSERT INTO `yourls_options` VALUES (1,'version','1.9.2'),(2,'db_version','506');
                    """);
            default -> { }
        }
        for (int i = 0; i < rows; i++) {
            String code = prefix + i;
            String url = url(prefix, i);
            String title = "Title " + i;
            switch (format) {
                case KURZ_CSV -> out.append(code).append(',').append(url).append(",\"").append(title)
                        .append("\",2020-01-01T00:00:00Z,,,302,false,false,0\n");
                case KURZ_JSONL -> out.append("{\"code\":\"").append(code).append("\",\"url\":\"").append(url)
                        .append("\",\"title\":\"").append(title).append("\",\"createdAt\":\"2020-01-01T00:00:00Z\"}\n");
                case CSV -> out.append(url).append(',').append(code).append(',').append(title)
                        .append(",2020-01-01T00:00:00Z,\n");
                case YOURLS_CSV -> out.append('"').append(code).append("\",\"").append(url).append("\",\"").append(title)
                        .append("\",\"2020-01-01 00:00:00\",\"127.0.0.1\",\"7\"\n");
                case YOURLS_SQL -> {
                    out.append(i % 1000 == 0 ? "INSERT INTO `yourls_url` (`keyword`, `url`, `title`, `timestamp`, `ip`, "
                            + "`clicks`) VALUES\n" : ",\n");
                    out.append("('").append(code).append("','").append(url).append("','").append(title)
                            .append(" \\'quoted\\'','2020-01-01 00:00:00','127.0.0.1',3)");
                    if (i % 1000 == 999 || i == rows - 1) {
                        out.append(";\n");
                    }
                }
                case BITLY_CSV -> out.append(title).append(",https://bit.ly/").append(code).append(",,").append(url)
                        .append(",2020-01-01 00:00:00 UTC\n");
                case SHLINK_CSV -> out.append("2020-01-01T00:00:00+00:00,s.example,").append(code)
                        .append(",https://s.example/").append(code).append(',').append(url).append(',').append(title)
                        .append(",tag1|tag2,4\n");
            }
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }
}

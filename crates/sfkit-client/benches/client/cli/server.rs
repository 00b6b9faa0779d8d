//! The static HTTPS server part 4 reads from: every page of the answer built before the clock
//! starts (Salesforce's layout, a `nextRecordsUrl` chain) and answered with one write.

use super::*;

/// Record `i` as Salesforce lays it out (attributes first, every selected field).
pub(super) fn record(i: usize) -> Value {
    let a = account(i);
    let id = format!("001bench{i:010}");
    json!({
        "attributes": {"type": "Account", "url": format!("/services/data/v66.0/sobjects/Account/{id}")},
        "Id": id,
        "Name": a["Name"],
        "Industry": a["Industry"],
        "Type": a["Type"],
        "BillingCity": a["BillingCity"],
        "BillingCountry": a["BillingCountry"],
        "Phone": a["Phone"],
        "Website": a["Website"],
        "AnnualRevenue": a["AnnualRevenue"],
        "NumberOfEmployees": a["NumberOfEmployees"],
        "CreatedDate": format!("2025-{:02}-{:02}T08:{:02}:00.000+0000", 1 + i % 12, 1 + i % 28, i % 60),
    })
}

/// Page `page`'s locator, as Salesforce spells one: the query's id and the first row's offset.
pub(super) fn next_path(page: usize, per_page: usize) -> String {
    format!(
        "/services/data/v66.0/query/01gbench00000001-{}",
        page * per_page
    )
}

/// Every page, each a whole HTTP response (head and body) ready to write.
pub(super) struct Pages {
    pub(super) responses: Vec<Vec<u8>>,
    pub(super) body_bytes: usize,
}

pub(super) fn build_pages(rows: usize, per_page: usize) -> Pages {
    let count = rows.div_ceil(per_page);
    let mut responses = Vec::with_capacity(count);
    let mut body_bytes = 0;
    for p in 0..count {
        let records: Vec<Value> = (p * per_page..((p + 1) * per_page).min(rows))
            .map(record)
            .collect();
        let last = p + 1 == count;
        let mut page = json!({"totalSize": rows, "done": last});
        if !last {
            page["nextRecordsUrl"] = next_path(p + 1, per_page).into();
        }
        page["records"] = records.into();
        let body = serde_json::to_vec(&page).expect("a page");
        body_bytes += body.len();
        let mut response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        response.extend_from_slice(&body);
        responses.push(response);
    }
    Pages {
        responses,
        body_bytes,
    }
}

/// Which page a request line asks for: the query resource gives the first, a locator its own.
pub(super) fn page_for(path: &str, per_page: usize) -> Option<usize> {
    if let Some((_, offset)) = path.split_once("/query/01gbench00000001-") {
        return offset.parse::<usize>().ok().map(|o| o / per_page);
    }
    (path.contains("/query") && path.contains("q=")).then_some(0)
}

/// The static server: HTTPS on an ephemeral port, on a runtime of its own.
pub(super) struct StaticServer {
    pub(super) url: String,
    pub(super) ca: PathBuf,
    pub(super) _runtime: tokio::runtime::Runtime,
}

pub(super) fn start_server(pages: Pages, per_page: usize, tls_dir: &Path) -> StaticServer {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let files = sfkit_emulator::tls::load_or_create(tls_dir).expect("a certificate");
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert_pem)
        .expect("the certificate file")
        .collect::<Result<_, _>>()
        .expect("the certificates");
    let key = PrivateKeyDer::from_pem_file(&files.key_pem).expect("the key");
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .expect("the server certificate");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

    let rt = runtime();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a port");
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().expect("its address").port()
    );
    let pages = Arc::new(pages.responses);
    rt.spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let (acceptor, pages) = (acceptor.clone(), pages.clone());
            tokio::spawn(async move {
                let Ok(mut conn) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = Vec::with_capacity(8192);
                let mut chunk = [0u8; 8192];
                loop {
                    // One request head at a time: every client here sends GETs without bodies.
                    let end = loop {
                        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break Some(at + 4);
                        }
                        match conn.read(&mut chunk).await {
                            Ok(0) | Err(_) => break None,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let Some(end) = end else { return };
                    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                    buf.drain(..end);
                    let path = head.split_whitespace().nth(1).unwrap_or("");
                    let written = match page_for(path, per_page).and_then(|p| pages.get(p)) {
                        Some(response) => conn.write_all(response).await,
                        None => {
                            let body = br#"[{"errorCode":"NOT_FOUND","message":"not a page"}]"#;
                            let head = format!(
                                "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                                body.len()
                            );
                            let mut r = head.into_bytes();
                            r.extend_from_slice(body);
                            conn.write_all(&r).await
                        }
                    };
                    if written.is_err() || conn.flush().await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    StaticServer {
        url,
        ca: files.ca_pem,
        _runtime: rt,
    }
}

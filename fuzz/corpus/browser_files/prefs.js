user_pref("network.proxy.type", 1);
user_pref("network.proxy.ssl", "10.1.1.1");
user_pref("network.proxy.ssl_port", 3128);
user_pref("network.proxy.no_proxies_on", "localhost, .nhi.gov.tw");

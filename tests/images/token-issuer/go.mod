module hive.test/token-issuer

go 1.21

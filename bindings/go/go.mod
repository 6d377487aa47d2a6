module github.com/libroam/roam-go

go 1.19

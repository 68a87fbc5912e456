package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

func TestPlanVersionsAreAllKept(t *testing.T) {
	t.Parallel()
	db, _, _ := openDB(t)
	ctx := context.Background()
	v1 := &bot.Plan{Name: "reseed", Version: "sha256:111111111111", File: "/p/reseed.yaml", Source: []byte("name: reseed\n# v1\n")}
	v2 := &bot.Plan{Name: "reseed", Version: "sha256:222222222222", File: "/p/reseed.yaml", Source: []byte("name: reseed\n# v2\n")}
	require.NoError(t, db.SavePlan(ctx, v1))
	require.NoError(t, db.SavePlan(ctx, v2))
	require.NoError(t, db.SavePlan(ctx, v1), "a version seen again is not an error")
	src, err := db.PlanSource(ctx, "reseed", "sha256:111111111111")
	require.NoError(t, err)
	assert.Equal(t, "name: reseed\n# v1\n", string(src))
	src, err = db.PlanSource(ctx, "reseed", "sha256:222222222222")
	require.NoError(t, err)
	assert.Equal(t, "name: reseed\n# v2\n", string(src))
	_, err = db.PlanSource(ctx, "reseed", "sha256:333333333333")
	assert.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err))
}

func TestStepOutputIsKeptOnce(t *testing.T) {
	t.Parallel()
	db, _, clock := openDB(t)
	ctx := context.Background()
	id, err := db.CreateFault(ctx, []bot.Event{{Type: bot.EventDeclared, At: clock.Now(), Actor: "kim", Level: bot.P3, Text: "x"}})
	require.NoError(t, err)
	require.NoError(t, db.SaveOutput(ctx, id, 1, 1, "first"))
	err = db.SaveOutput(ctx, id, 1, 1, "second")
	assert.Equal(t, bot.ECONFLICT, bot.ErrorCode(err), "recorded output is not rewritten")
	out, err := db.Output(ctx, id, 1, 1)
	require.NoError(t, err)
	assert.Equal(t, "first", out)
	_, err = db.Output(ctx, id, 1, 2)
	assert.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err))
}
